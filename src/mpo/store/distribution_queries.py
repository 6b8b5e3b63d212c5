"""Histogram counts for the HTML report: hours between two stamps, bucketed in SQL.

On SQLite the hours are spelt exactly as the stats expression indexes spell them
(`mpo.core.stats_indexes`), so the count reads a covering index instead of the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal_column, select
from sqlmodel import Session, SQLModel

from mpo.core.stats_indexes import DECIDED_AT, sqlite_hours

task = SQLModel.metadata.tables["task"]
c = task.c


class SqlDistributions:
    """The store's implementation of `mpo.core.ports.DistributionQueries`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def turnaround(self, edges: Sequence[float], since: datetime, until: datetime,
                   marketplaces: tuple[str, ...]) -> list[int]:
        decided = func.coalesce(c.approved_at, c.rejected_at)
        hours = (literal_column(sqlite_hours("submitted_at", DECIDED_AT)) if self.sqlite
                 else func.extract("epoch", decided - c.submitted_at) / 3600)
        return self._count(edges, hours, decided, since, until, marketplaces,
                           c.submitted_at.is_not(None))

    def execution(self, edges: Sequence[float], since: datetime, until: datetime,
                  marketplaces: tuple[str, ...]) -> list[int]:
        hours = (literal_column(sqlite_hours("started_at", "completed_at")) if self.sqlite
                 else func.extract("epoch", c.completed_at - c.started_at) / 3600)
        return self._count(edges, hours, c.completed_at, since, until, marketplaces,
                           c.started_at.is_not(None))

    def _count(self, edges: Sequence[float], hours: Any, stamp: Any, since: datetime,
               until: datetime, marketplaces: tuple[str, ...], known: Any) -> list[int]:
        if self.sqlite:
            # julianday() arithmetic makes one hour 0.99999...: round before bucketing.
            hours = func.round(hours, 6)
        bucket = case(*((hours < edge, i) for i, edge in enumerate(edges)), else_=len(edges))
        stmt = (select(bucket.label("bucket"), func.count())
                .where(stamp >= since, stamp < until, known)
                .group_by(literal_column("bucket")))
        if marketplaces:
            stmt = stmt.where(c.marketplace.in_(marketplaces))
        counts = [0] * (len(edges) + 1)
        for index, n in self.session.execute(stmt):
            counts[int(index)] = int(n)
        return counts

"""Histogram counts for the HTML report: hours between two stamps, bucketed in SQL.

On SQLite the hours are spelt exactly as the stats expression indexes spell them
(`mpo.core.tables.stats_indexes`), so the count reads a covering index instead of the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlmodel import Session, SQLModel

from mpo.core.tables.stats_indexes import DECIDED_AT, sqlite_hours

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
        # A task is approved or rejected, never both: two index ranges, not coalesce()
        # (which no index serves).
        window = or_(and_(c.approved_at >= since, c.approved_at < until),
                     and_(c.rejected_at >= since, c.rejected_at < until))
        return self._count(edges, hours, window, marketplaces, c.submitted_at)

    def execution(self, edges: Sequence[float], since: datetime, until: datetime,
                  marketplaces: tuple[str, ...]) -> list[int]:
        hours = (literal_column(sqlite_hours("started_at", "completed_at")) if self.sqlite
                 else func.extract("epoch", c.completed_at - c.started_at) / 3600)
        window = and_(c.completed_at >= since, c.completed_at < until)
        return self._count(edges, hours, window, marketplaces, c.started_at)

    def _count(self, edges: Sequence[float], hours: Any, window: Any,
               marketplaces: tuple[str, ...], start: Any) -> list[int]:
        if self.sqlite:
            # julianday() arithmetic makes one hour 0.99999...: round before bucketing.
            hours = func.round(hours, 6)
        bucket = case(*((hours < edge, i) for i, edge in enumerate(edges)), else_=len(edges))
        stmt = (select(bucket.label("bucket"), func.count())
                # coalesce(): a bare `start IS NOT NULL` matches the partial index on that
                # stamp, and SQLite would walk every task having it instead of the window.
                .where(window, func.coalesce(start, None).is_not(None))
                .group_by(literal_column("bucket")))
        if marketplaces:
            stmt = stmt.where(c.marketplace.in_(marketplaces))
        counts = [0] * (len(edges) + 1)
        for index, n in self.session.execute(stmt):
            counts[int(index)] = int(n)
        return counts

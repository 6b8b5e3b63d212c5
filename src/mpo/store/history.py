"""The store's `mpo.core.ports.HistoryQueries`: small, indexed reads of the completed and
decided tasks that effort prediction, agent health and the priority score learn from, and
the roll-ups of campaigns. Each read is bounded by an index (`mpo.core.tables.history_indexes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session

from mpo.core.domain.estimate import SAMPLE, History
from mpo.core.tables.history_indexes import COMPLETED, DECIDED
from mpo.core.tables.timestamps import UTCDateTime

_RATIO = "SELECT actual_hours / estimated_hours AS r FROM task WHERE {where} AND " + \
    COMPLETED + " AND actual_hours > 0 ORDER BY completed_at DESC LIMIT :n"


def _scoped(where: str, scope: str | None) -> str:
    return where + (" AND marketplace = :scope" if scope is not None else "")


class SqlHistoryQueries:
    """History reads in the session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _sqlite(self) -> bool:
        return self.session.get_bind().dialect.name == "sqlite"

    def _rows(self, sql: str, params: dict[str, Any], *stamps: str) -> list[Any]:
        stmt = text(sql).bindparams(*(bindparam(s, type_=UTCDateTime()) for s in stamps))
        return list(self.session.execute(stmt, params))

    def ratios(self, *, agent: str, marketplace: str, category: str,
               scope: str | None = None, limit: int = SAMPLE) -> History:
        """The actual/estimated ratios of the `limit` most recently completed tasks of the
        agent in the category, of the marketplace in the category, and of all (in `scope`,
        a marketplace, when the reader is an agent): one query of three index walks."""
        parts = [
            ("a", _scoped("created_by = :agent AND category = :category", scope)),
            ("m", "marketplace = :marketplace AND category = :category"),
            ("g", _scoped("1 = 1", scope)),
        ]
        sql = " UNION ALL ".join(
            f"SELECT '{label}' AS level, r FROM ({_RATIO.format(where=where)}) {label}"
            for label, where in parts)
        params = {"agent": agent, "marketplace": marketplace, "category": category,
                  "scope": scope, "n": limit}
        found: dict[str, list[float]] = {"a": [], "m": [], "g": []}
        for level, ratio in self._rows(sql, params):
            found[level].append(float(ratio))
        return History(everything=found["g"], marketplace_category=found["m"],
                       agent_category=found["a"])

    def decisions(self, agents: Sequence[str]) -> dict[str, tuple[int, int]]:
        """(approved, rejected) per agent, over all time, from the decisions index."""
        if not agents:
            return {}
        stmt = text(
            "SELECT created_by, count(approved_at), count(rejected_at) FROM task "
            f"WHERE created_by IN :agents AND ({DECIDED}) GROUP BY created_by"
        ).bindparams(bindparam("agents", expanding=True))
        return {str(agent): (int(approved), int(rejected)) for agent, approved, rejected
                in self.session.execute(stmt, {"agents": list(agents)})}

    def execution(self, since: datetime, until: datetime,
                  marketplaces: Sequence[str] = ()) -> dict[str, tuple[int, float]]:
        """(tasks, mean started-to-completed hours) per agent, of the tasks completed in
        [since, until)."""
        hours = ("(julianday(completed_at) - julianday(started_at)) * 24" if self._sqlite
                 else "extract(epoch FROM completed_at - started_at) / 3600.0")
        where = "completed_at >= :since AND completed_at < :until AND started_at IS NOT NULL"
        params: dict[str, Any] = {"since": since, "until": until}
        stmt = text(f"SELECT created_by, count(*), avg({hours}) FROM task WHERE {where}"
                    + (" AND marketplace IN :mps" if marketplaces else "")
                    + " GROUP BY created_by").bindparams(
            bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()))
        if marketplaces:
            stmt = stmt.bindparams(bindparam("mps", expanding=True))
            params["mps"] = list(marketplaces)
        return {str(agent): (int(n), float(mean)) for agent, n, mean
                in self.session.execute(stmt, params) if mean is not None}

    def campaigns(self, name: str | None = None, scope: str | None = None
                  ) -> list[tuple[str, str, int, float, float]]:
        """(campaign, status, tasks, estimated hours, actual hours) per campaign and
        status, of one campaign or all (of marketplace `scope` only, when given); archived
        tasks count too (`mpo archive` moves finished work, not a campaign's progress)."""
        where = _scoped("campaign = :name" if name is not None else "campaign IS NOT NULL",
                        scope)
        both = " UNION ALL ".join(
            f"SELECT campaign, status, estimated_hours, actual_hours FROM {table} "
            f"WHERE {where}" for table in ("task", "task_archive"))
        stmt = text(
            "SELECT campaign, status, count(*), sum(estimated_hours), "
            f"coalesce(sum(actual_hours), 0) FROM ({both}) AS t "
            "GROUP BY campaign, status ORDER BY campaign, status")
        return [(str(c), str(s), int(n), float(e or 0), float(a or 0))
                for c, s, n, e, a in self.session.execute(stmt, {"name": name, "scope": scope})]

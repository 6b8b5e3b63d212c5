"""The dashboard's reads: a change marker and small aggregates, each served by an index
(see `mpo.core.usecases.dashboard`), so a refresh costs the same at a thousand tasks or a
million."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import func, literal_column, select, true
from sqlalchemy.sql.expression import ColumnClause
from sqlmodel import Session, col

from mpo.core.domain.dashboard_snapshot import Oldest
from mpo.core.domain.vocabulary import Status
from mpo.core.tables.models import Principal, Task, TaskEvent

#: A literal, not a bound parameter: SQLite uses the partial index `ix_task_awaiting_since`
#: (WHERE status = 'awaiting_approval') only when it can see the value in the query.
_AWAITING: ColumnClause[str] = literal_column(f"'{Status.AWAITING_APPROVAL.value}'")


class SqlDashboardQueries:
    """The store's implementation of `mpo.core.ports.DashboardQueries`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        #: A team's marketplaces (`within`); empty: every one.
        self.markets: tuple[str, ...] = ()

    def within(self, marketplaces: Sequence[str]) -> None:
        """Count only these marketplaces' tasks from now on (a team's dashboard)."""
        self.markets = tuple(marketplaces)

    def _team(self) -> Any:
        return col(Task.marketplace).in_(self.markets) if self.markets else true()

    def marker(self) -> int:
        # The primary key's last entry: one index probe. Every change appends an event.
        return int(self.session.scalar(select(func.max(col(TaskEvent.id)))) or 0)

    def statuses(self) -> dict[str, int]:
        # ix_task_status_created_at covers it: an index-only count per status.
        stmt = (select(col(Task.status), func.count()).where(self._team())
                .group_by(col(Task.status)))
        return {status: count for status, count in self.session.execute(stmt)}

    def awaiting_by_marketplace(self) -> dict[str, int]:
        # ix_task_awaiting_since (partial: awaiting tasks only) covers it.
        stmt = (select(col(Task.marketplace), func.count())
                .where(col(Task.status) == _AWAITING, col(Task.submitted_at).is_not(None),
                       self._team())
                .group_by(col(Task.marketplace)))
        return {m: count for m, count in self.session.execute(stmt)}

    def oldest_awaiting(self) -> Oldest | None:
        # The first entry of ix_task_awaiting_since.
        stmt = (select(col(Task.id), col(Task.title), col(Task.marketplace),
                       col(Task.submitted_at))
                .where(col(Task.status) == _AWAITING, col(Task.submitted_at).is_not(None),
                       self._team())
                .order_by(col(Task.submitted_at), col(Task.id)).limit(1))
        row = self.session.execute(stmt).first()
        if row is None:
            return None
        task_id, title, marketplace, since = row
        return Oldest(task_id, title, marketplace, since)

    def approvals_between(self, edges: Sequence[datetime]) -> list[int]:
        # One range count per day on ix_task_approved_at.
        counts = []
        for low, high in pairwise(edges):
            stmt = select(func.count()).select_from(Task).where(
                col(Task.approved_at) >= low, col(Task.approved_at) < high, self._team())
            counts.append(int(self.session.scalar(stmt) or 0))
        return counts

    def agents_last_active(self, since: datetime) -> list[tuple[str, datetime | None]]:
        # A range on ix_task_created_at_stats, newest first, folded here: grouping in SQL
        # made SQLite walk ix_task_created_by over every task instead.
        stmt = (select(col(Task.created_by), col(Task.created_at))
                .where(col(Task.created_at) >= since, self._team())
                .order_by(col(Task.created_at).desc()))
        # Only agents (and the master): an admin who created a task is not one (issue 24).
        agents = set(self.session.scalars(select(col(Principal.name)).where(
            col(Principal.role).in_(("agent", "master")), col(Principal.revoked_at).is_(None))))
        seen: dict[str, datetime | None] = {}
        for name, at in self.session.execute(stmt):
            if name in agents:
                seen.setdefault(name, at)
        for name in sorted(agents):  # quiet since then: still shown, without a time
            seen.setdefault(name, None)
        return list(seen.items())

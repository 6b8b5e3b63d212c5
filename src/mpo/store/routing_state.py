"""SQL for routing: approved tasks waiting for someone, people's loads and track records,
and the round-robin cursors, advanced atomically so concurrent routers never share a turn.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, select, text
from sqlmodel import Session, col

from mpo.core.domain.vocabulary import Status
from mpo.core.tables.models import Task


class SqlRoutingStore:
    """The store's `mpo.core.ports.RoutingStore`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def unassigned(self, task_ids: Sequence[uuid.UUID] | None) -> list[Task]:
        stmt = select(Task).where(col(Task.status) == Status.APPROVED.value,
                                  col(Task.assigned_to).is_(None))
        if task_ids is not None:
            stmt = stmt.where(col(Task.id).in_(list(task_ids)))
        stmt = stmt.order_by(col(Task.approved_at), col(Task.id))
        return list(self.session.scalars(stmt.execution_options(populate_existing=True)))

    def advance(self, rule: str, steps: int) -> int:
        # Insert-if-missing, then one UPDATE ... RETURNING: the row lock (PostgreSQL) or the
        # write lock (SQLite) makes each router take its own slice of turns.
        self.session.execute(
            text("INSERT INTO route_cursor (rule, position) VALUES (:rule, 0) "
                 "ON CONFLICT (rule) DO NOTHING"), {"rule": rule})
        after = self.session.execute(
            text("UPDATE route_cursor SET position = position + :steps WHERE rule = :rule "
                 "RETURNING position"), {"rule": rule, "steps": steps}).scalar_one()
        return int(after) - steps

    def loads(self, people: Sequence[str]) -> dict[str, int]:
        stmt = (select(col(Task.assigned_to), func.count())
                .where(col(Task.status) == Status.IN_PROGRESS.value,
                       col(Task.assigned_to).in_(list(people)))
                .group_by(col(Task.assigned_to)))
        found = {str(who): int(n) for who, n in self.session.execute(stmt)}
        return {person: found.get(person, 0) for person in people}

    def specialists(self, people: Sequence[str], category: str, since: datetime
                    ) -> dict[str, tuple[float, int]]:
        actual, estimated = col(Task.actual_hours), col(Task.estimated_hours)
        miss = func.abs(actual - estimated)
        accuracy = case((miss >= estimated, 0.0), else_=1.0 - miss / estimated)
        stmt = (select(col(Task.assigned_to), func.avg(accuracy), func.count())
                .where(col(Task.status) == Status.COMPLETED.value,
                       col(Task.category) == category,
                       col(Task.completed_at) >= since,
                       col(Task.assigned_to).in_(list(people)))
                .group_by(col(Task.assigned_to)))
        return {str(who): (float(mean or 0), int(n)) for who, mean, n in self.session.execute(stmt)}

"""Reading the audit log as a stream: events after an id, and consumers' cursors.

Ids are commit-ordered on both databases, so "every event after my cursor" never skips one
that commits late. SQLite serialises writers. On PostgreSQL a sequence hands out ids at
INSERT time, not at commit, so a trigger (migration 0010) makes every transaction that
appends events take one advisory lock, held to its commit, before its first event gets an
id: the next writer's events get higher ids and commit after.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlmodel import Session, col

from mpo.core.clock import utcnow
from mpo.core.models import Task, TaskEvent
from mpo.core.selection import TaskQuery
from mpo.core.stream_models import EventCursor

#: The PostgreSQL channel a commit with events notifies (migration 0010's trigger).
CHANNEL = "mpo_events"


class SqlEventStream:
    """The store's implementation of `mpo.core.stream.EventStream`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def after(
        self,
        after_id: int,
        *,
        query: TaskQuery | None = None,
        task_ids: Sequence[uuid.UUID] = (),
        actions: Sequence[str] = (),
        limit: int = 500,
    ) -> list[TaskEvent]:
        stmt = select(TaskEvent).where(col(TaskEvent.id) > after_id)
        if task_ids:
            stmt = stmt.where(col(TaskEvent.task_id).in_(task_ids))
        if actions:
            stmt = stmt.where(col(TaskEvent.action).in_(actions))
        if query is not None:
            if query.statuses:
                stmt = stmt.where(col(TaskEvent.to_status).in_(query.statuses))
            joined = [(c, v) for c, v in (
                (Task.marketplace, query.marketplaces), (Task.priority, query.priorities),
                (Task.category, query.categories), (Task.created_by, query.created_by),
                (Task.assigned_to, query.assigned_to)) if v]
            if joined:
                stmt = stmt.join(Task, col(Task.id) == col(TaskEvent.task_id))
                for column, allowed in joined:
                    stmt = stmt.where(col(column).in_(allowed))
        stmt = stmt.order_by(col(TaskEvent.id)).limit(limit)
        return list(self.session.scalars(stmt))

    def by_ids(self, ids: Sequence[int]) -> list[TaskEvent]:
        stmt = select(TaskEvent).where(col(TaskEvent.id).in_(ids)).order_by(col(TaskEvent.id))
        return list(self.session.scalars(stmt))

    def newest_id(self) -> int:
        return int(self.session.execute(select(func.max(col(TaskEvent.id)))).scalar() or 0)

    def cursor(self, consumer: str) -> EventCursor | None:
        return self.session.get(EventCursor, consumer)

    def advance(self, consumer: str, owner: str, event_id: int) -> None:
        found = self.session.get(EventCursor, consumer, with_for_update=True)
        if found is None:
            self.session.add(EventCursor(consumer=consumer, owner=owner,
                                         last_event_id=event_id, updated_at=utcnow()))
        elif event_id > found.last_event_id:
            found.last_event_id, found.updated_at = event_id, utcnow()

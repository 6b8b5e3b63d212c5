"""Reading the audit log as a stream: events after an id, and consumers' cursors.

"Every event after my cursor" never skips one that commits late, on both databases. SQLite
serialises writers: ids are commit-ordered. On PostgreSQL a sequence hands out ids at
INSERT time, not at commit, and writers do not wait for each other; so a read first asks
`mpo_event_horizon()` (migration 0011) for the id up to which every event that will ever
exist has committed, and reads no further: an id still held by an open transaction (and
anything above it) waits for the next read. The horizon and the events are two
statements, so the events' snapshot (READ COMMITTED) is taken after the horizon.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from mpo.core.domain.clock import utcnow
from mpo.core.domain.selection import TaskQuery
from mpo.core.tables.models import Task, TaskEvent
from mpo.core.tables.stream_models import EventCursor
from mpo.store.unit_of_work import Seen

#: The PostgreSQL channel a commit with events notifies (the trigger of 0010, 0011).
CHANNEL = "mpo_events"
#: (settled, allocated): every event up to `settled` is committed or never will be, and
#: `allocated` is the highest id handed out (PostgreSQL, migration 0011).
HORIZON = "SELECT settled, allocated FROM mpo_event_horizon()"


class SqlEventStream:
    """The store's implementation of `mpo.core.ports.events.EventStream`."""

    def __init__(self, session: Session, seen: Seen | None = None) -> None:
        self.session = session
        self.seen = seen if seen is not None else Seen()
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def settled(self) -> int | None:
        """PostgreSQL: the id up to which no event can still commit; SQLite: None (all)."""
        if not self.postgres:
            return None
        settled, allocated = self.session.execute(text(HORIZON)).one()
        self.seen.last = (int(settled), int(allocated))
        return int(settled)

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
        settled = self.settled()
        if settled is not None:
            stmt = stmt.where(col(TaskEvent.id) <= settled)
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
        """The newest event id a reader may start after: nothing at or below it can still
        commit (so on PostgreSQL it stops below an open transaction's ids)."""
        stmt = select(func.max(col(TaskEvent.id)))
        settled = self.settled()
        if settled is not None:
            stmt = stmt.where(col(TaskEvent.id) <= settled)
        return int(self.session.execute(stmt).scalar() or 0)

    def cursor(self, consumer: str, owner: str) -> EventCursor | None:
        return self.session.get(EventCursor, {"owner": owner, "consumer": consumer})

    def advance(self, consumer: str, owner: str, event_id: int) -> None:
        found = self.session.get(EventCursor, {"owner": owner, "consumer": consumer},
                                 with_for_update=True)
        if found is None:
            self.session.add(EventCursor(consumer=consumer, owner=owner,
                                         last_event_id=event_id, updated_at=utcnow()))
        elif event_id > found.last_event_id:
            found.last_event_id, found.updated_at = event_id, utcnow()

"""SQL for tasks and events: indexed reads and conditional, race-safe writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlmodel import Session, col

from mpo.core.models import Task, TaskEvent
from mpo.core.selection import TaskQuery


class SqlTaskRepository:
    """The store's implementation of `mpo.core.ports.TaskRepository`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        #: Events added in this transaction, for the after-commit consumers.
        self.appended: list[TaskEvent] = []

    def add(self, task: Task) -> None:
        self.session.add(task)

    def get(self, task_id: uuid.UUID) -> Task | None:
        return self.session.get(Task, task_id)

    def by_prefix(self, low: uuid.UUID, high: uuid.UUID, limit: int) -> list[Task]:
        stmt = select(Task).where(col(Task.id).between(low, high)).limit(limit)
        return list(self.session.scalars(stmt))

    def by_idempotency_key(self, key: str) -> Task | None:
        stmt = select(Task).where(col(Task.idempotency_key) == key)
        return self.session.scalars(stmt).first()

    def find(self, query: TaskQuery) -> list[Task]:
        stmt = select(Task)
        for column, allowed in (
            (Task.status, query.statuses),
            (Task.marketplace, query.marketplaces),
            (Task.priority, query.priorities),
            (Task.category, query.categories),
            (Task.created_by, query.created_by),
            (Task.assigned_to, query.assigned_to),
        ):
            if allowed:
                stmt = stmt.where(col(column).in_(allowed))
        if query.since is not None:
            stmt = stmt.where(col(Task.created_at) >= query.since)
        if query.until is not None:
            stmt = stmt.where(col(Task.created_at) < query.until)
        created = col(Task.created_at)
        stmt = stmt.order_by(created.desc() if query.newest_first else created.asc(),
                             col(Task.id))
        if query.limit is not None:
            stmt = stmt.limit(query.limit)
        return list(self.session.scalars(stmt))

    def status_of(self, task_id: uuid.UUID) -> str | None:
        stmt = select(col(Task.status)).where(col(Task.id) == task_id)
        return self.session.scalars(stmt).first()

    def move(
        self, task_id: uuid.UUID, expected: str, target: str, values: dict[str, Any]
    ) -> bool:
        stmt = (
            update(Task)
            .where(col(Task.id) == task_id, col(Task.status) == expected)
            .values(status=target, **values)
            .execution_options(synchronize_session=False)
        )
        result = self.session.execute(stmt)
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    def add_events(self, events: Iterable[TaskEvent]) -> None:
        added = list(events)
        self.session.add_all(added)
        self.appended.extend(added)

    def events(
        self,
        *,
        task_id: uuid.UUID | None = None,
        actor: str | None = None,
        actions: Sequence[str] = (),
        batch_id: uuid.UUID | None = None,
        since: datetime | None = None,
        marketplace: str | None = None,
        limit: int | None = None,
    ) -> list[TaskEvent]:
        stmt = select(TaskEvent)
        if task_id is not None:
            stmt = stmt.where(col(TaskEvent.task_id) == task_id)
        if actor is not None:
            stmt = stmt.where(col(TaskEvent.actor) == actor)
        if actions:
            stmt = stmt.where(col(TaskEvent.action).in_(actions))
        if batch_id is not None:
            stmt = stmt.where(col(TaskEvent.batch_id) == batch_id)
        if since is not None:
            stmt = stmt.where(col(TaskEvent.at) >= since)
        if marketplace is not None:
            stmt = stmt.join(Task, col(Task.id) == col(TaskEvent.task_id)).where(
                col(Task.marketplace) == marketplace
            )
        # The newest `limit` events, shown oldest first like a log.
        stmt = stmt.order_by(col(TaskEvent.id).desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(reversed(list(self.session.scalars(stmt))))

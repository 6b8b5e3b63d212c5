"""Reads for undo and expiry: the newest event of each task, one event, stale proposals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from mpo.core.domain.vocabulary import Status
from mpo.core.tables.models import Task, TaskEvent

#: The stamp that says since when a task has been in each waiting status.
SINCE = {Status.PENDING.value: Task.created_at, Status.AWAITING_APPROVAL.value: Task.submitted_at}


class SqlAuditQueries:
    """The store's `mpo.core.ports.AuditQueries`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def event(self, event_id: int) -> TaskEvent | None:
        return self.session.get(TaskEvent, event_id)

    def latest_event_ids(self, task_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        stmt = (select(col(TaskEvent.task_id), func.max(col(TaskEvent.id)))
                .where(col(TaskEvent.task_id).in_(list(task_ids)))
                .group_by(col(TaskEvent.task_id)))
        return {task_id: int(latest) for task_id, latest in self.session.execute(stmt)}

    def stale(self, statuses: Sequence[str], before: datetime) -> list[uuid.UUID]:
        conditions = [and_(col(Task.status) == status, col(SINCE[status]) < before)
                      for status in statuses]
        stmt = (select(col(Task.id)).where(or_(*conditions))
                .order_by(col(Task.created_at), col(Task.id)))
        return list(self.session.scalars(stmt))

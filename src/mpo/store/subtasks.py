"""SQL for subtasks: ordered reads and conditional, race-safe status changes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlmodel import Session, col

from mpo.core.tables.models import Subtask


class SqlSubtaskRepository:
    """The store's implementation of `mpo.core.ports.SubtaskRepository`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, subtask: Subtask) -> None:
        self.session.add(subtask)

    def by_prefix(self, low: uuid.UUID, high: uuid.UUID, limit: int) -> list[Subtask]:
        stmt = select(Subtask).where(col(Subtask.id).between(low, high)).limit(limit)
        return list(self.session.scalars(stmt))

    def of_task(self, task_id: uuid.UUID) -> list[Subtask]:
        stmt = select(Subtask).where(col(Subtask.task_id) == task_id).order_by(
            col(Subtask.position))
        return list(self.session.scalars(stmt))

    def every(self) -> list[Subtask]:
        stmt = select(Subtask).order_by(col(Subtask.task_id), col(Subtask.position))
        return list(self.session.scalars(stmt))

    def last_position(self, task_id: uuid.UUID) -> int:
        stmt = select(func.max(col(Subtask.position))).where(col(Subtask.task_id) == task_id)
        return int(self.session.scalar(stmt) or 0)

    def open_counts(self, task_ids: Sequence[uuid.UUID],
                    closed: Sequence[str]) -> dict[uuid.UUID, int]:
        if not task_ids:
            return {}
        stmt = (select(col(Subtask.task_id), func.count())
                .where(col(Subtask.task_id).in_(task_ids), col(Subtask.status).not_in(closed))
                .group_by(col(Subtask.task_id)))
        return {task_id: int(n) for task_id, n in self.session.execute(stmt)}

    def move(self, subtask_id: uuid.UUID, expected: str, target: str,
             values: dict[str, Any]) -> bool:
        stmt = (update(Subtask)
                .where(col(Subtask.id) == subtask_id, col(Subtask.status) == expected)
                .values(status=target, **values)
                # the loaded subtask takes the new values without becoming dirty: a second
                # UPDATE would miss under row-level security (the row has left its USING)
                .execution_options(synchronize_session="evaluate"))
        result = self.session.execute(stmt)
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

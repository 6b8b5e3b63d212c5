"""What `mpo archive` and the reads of archived tasks need from storage."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mpo.core.domain.selection import TaskQuery
    from mpo.core.tables.models import Task, TaskEvent


class ArchiveStore(Protocol):
    """The archive (`mpo archive`): the move, one chunk per call, and archived reads."""

    def due(self, cutoff: datetime, limit: int | None) -> list[Task]:
        """The next `limit` tasks due: terminal, ended before `cutoff`, oldest end first
        (the dry run's list)."""
        ...

    def move(self, run_id: uuid.UUID, actor: str, cutoff: datetime, limit: int,
             now: datetime) -> tuple[int, int]:
        """Move the next chunk due (its tasks, their events) and record it: (tasks, events)."""
        ...

    def by_prefix(self, low: uuid.UUID, high: uuid.UUID, limit: int,
                  marketplace: str | None = None) -> list[Task]: ...

    def find(self, query: TaskQuery) -> list[Task]: ...

    def events(self, *, task_id: uuid.UUID | None = None, actor: str | None = None,
               actions: Sequence[str] = (), batch_id: uuid.UUID | None = None,
               since: datetime | None = None, marketplace: str | None = None,
               limit: int | None = None) -> list[TaskEvent]: ...

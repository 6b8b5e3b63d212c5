"""What the use cases need from storage, as protocols: the store implements them.

The core depends on these shapes, never on `mpo.store`, so the arrows point inward.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mpo.core.models import Principal, Task, TaskEvent
    from mpo.core.notify import NotificationLog
    from mpo.core.selection import TaskQuery
    from mpo.core.stats import Aggregates, StatsQuery
    from mpo.core.stream import EventStream
    from mpo.core.webhooks import WebhookRepository


class DuplicateKey(Exception):
    """An insert hit a unique index (a concurrent idempotent create won the race)."""


class TaskRepository(Protocol):
    """Reads and conditional writes of tasks and their events."""

    def add(self, task: Task) -> None: ...

    def get(self, task_id: uuid.UUID) -> Task | None: ...

    def by_prefix(self, low: uuid.UUID, high: uuid.UUID, limit: int) -> list[Task]: ...

    def by_idempotency_key(self, key: str) -> Task | None: ...

    def find(self, query: TaskQuery) -> list[Task]: ...

    def status_of(self, task_id: uuid.UUID) -> str | None: ...

    def move(
        self, task_id: uuid.UUID, expected: str, target: str, values: dict[str, Any]
    ) -> bool:
        """`UPDATE … SET status = target WHERE id = … AND status = expected`; True if it hit."""
        ...

    def add_events(self, events: Iterable[TaskEvent]) -> None: ...

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
    ) -> list[TaskEvent]: ...


class StatsQueries(Protocol):
    """The aggregates of `mpo stats`, computed by the database (never row by row here)."""

    def aggregate(self, query: StatsQuery) -> Aggregates: ...


class PrincipalRepository(Protocol):
    """Principals, token checks, and the record of refused requests."""

    def authenticate(self, token: str) -> Principal | None:
        """The active principal holding `token`; on PostgreSQL this also binds the
        transaction's row-level-security context. None if unknown or revoked."""
        ...

    def bootstrap(self, principal: Principal) -> bool:
        """Insert the first principal; False (and nothing written) if any exists."""
        ...

    def add(self, principal: Principal) -> None: ...

    def by_name(self, name: str) -> Principal | None: ...

    def all(self) -> list[Principal]: ...

    def count_active_admins(self) -> int: ...

    def record_denial(self, principal: str | None, verb: str, reason: str) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: rolled back on exit unless `commit()` was called."""

    @property
    def tasks(self) -> TaskRepository: ...

    @property
    def principals(self) -> PrincipalRepository: ...

    @property
    def stats(self) -> StatsQueries: ...

    @property
    def stream(self) -> EventStream: ...

    @property
    def webhooks(self) -> WebhookRepository: ...

    @property
    def notifications(self) -> NotificationLog: ...

    def commit(self) -> None: ...


class Database(Protocol):
    """Opens units of work: `write()` takes the write lock up front, `read()` does not."""

    def write(self) -> AbstractContextManager[UnitOfWork]: ...

    def read(self) -> AbstractContextManager[UnitOfWork]: ...

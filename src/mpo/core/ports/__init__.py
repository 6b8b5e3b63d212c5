"""What the use cases need from storage, as protocols: the store implements them.

The core depends on these shapes, never on `mpo.store`, so the arrows point inward.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

# The read side lives in its own module; the unit of work hands those out too.
from mpo.core.ports.archive import ArchiveStore as ArchiveStore
from mpo.core.ports.identity import PrincipalRepository as PrincipalRepository
from mpo.core.ports.identity import TeamRepository
from mpo.core.ports.queries import (
    AuditQueries,
    DashboardQueries,
    DistributionQueries,
    HistoryQueries,
    StatsQueries,
    StatusQueries,
)
from mpo.core.ports.templates import TemplateStore as TemplateStore

if TYPE_CHECKING:
    from mpo.core.domain.lifecycle import Lifecycle
    from mpo.core.domain.selection import TaskQuery
    from mpo.core.domain.workflow import CustomState
    from mpo.core.ports.events import EventStream, NotificationLog, WebhookRepository
    from mpo.core.ports.idempotency import IdempotencyKeys
    from mpo.core.ports.leases import LeaseStore
    from mpo.core.ports.web import WebSessionStore
    from mpo.core.tables.models import Subtask, Task, TaskEvent


class DuplicateKey(Exception):
    """An insert hit a unique index (a concurrent idempotent create won the race)."""


class TaskRepository(Protocol):
    """Reads and conditional writes of tasks and their events."""

    def add(self, task: Task) -> None: ...

    def get(self, task_id: uuid.UUID) -> Task | None: ...

    def by_prefix(
        self, low: uuid.UUID, high: uuid.UUID, limit: int, marketplace: str | None = None
    ) -> list[Task]:
        """Tasks whose id lies in [low, high], only `marketplace`'s when given."""
        ...

    def by_idempotency_key(self, key: str) -> Task | None: ...

    def find(self, query: TaskQuery) -> list[Task]: ...

    def count(self, query: TaskQuery) -> int:
        """How many tasks the query's filters match, ignoring its page (limit, offset, after)."""
        ...

    def status_of(self, task_id: uuid.UUID) -> str | None: ...

    def move(
        self, task_id: uuid.UUID, expected: str, target: str, values: dict[str, Any]
    ) -> bool:
        """`UPDATE … SET status = target WHERE id = … AND status = expected`; True if it hit."""
        ...

    def add_events(self, events: Iterable[TaskEvent]) -> None: ...

    # Set-based batches (issue 11): one statement per table or chunk of ids. `create_many`:
    # new tasks and create events; True when `tasks` then hold what was stored (else re-read).

    def create_many(self, tasks: Sequence[Task], events: Sequence[Mapping[str, Any]]) -> bool: ...

    def log(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Append audit events given as column values (`task_id`, `action`, `at`, ...)."""
        ...

    def by_ids(self, ids: Sequence[uuid.UUID]) -> list[Task]: ...

    def by_idempotency_keys(self, keys: Sequence[str]) -> dict[str, Task]: ...

    def statuses_of(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]: ...

    def move_many(
        self, ids: Sequence[uuid.UUID], sources: Sequence[str], target: str,
        values: dict[str, Any],
    ) -> set[uuid.UUID]:
        """`UPDATE … WHERE id IN (ids) AND status IN (sources)`; the ids it moved."""
        ...

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

    def count_events(self, *, actor: str, action: str, since: datetime) -> int:
        """How many `action` events `actor` recorded at or after `since` (rate limits)."""
        ...

    def hold_rate(self, actor: str) -> None:
        """Until commit, be the only transaction counting `actor`'s rate, so concurrent
        creates (other servers too) cannot all count the same window."""
        ...

    def event_at(self, *, actor: str, action: str, since: datetime, offset: int
                 ) -> datetime | None:
        """The time of the `offset`-th oldest such event (0 is the oldest), if any."""
        ...


class TransferStore(Protocol):
    """What an import needs beyond the task repository."""

    def taken_event_ids(self, ids: Sequence[int]) -> set[int]: ...

    def require_owner(self) -> None:
        """Refuse (PermissionDenied) unless this connection may write history directly."""
        ...

    def flush(self) -> None: ...

    def after_import(self) -> None: ...


class SubtaskRepository(Protocol):
    """Subtasks: ordered reads and conditional status changes."""

    def add(self, subtask: Subtask) -> None: ...

    def by_prefix(self, low: uuid.UUID, high: uuid.UUID, limit: int) -> list[Subtask]: ...

    def of_task(self, task_id: uuid.UUID) -> list[Subtask]: ...

    def every(self) -> list[Subtask]:
        """Every step, by task and position (an export reads them in one pass)."""
        ...

    def last_position(self, task_id: uuid.UUID) -> int: ...

    def open_counts(self, task_ids: Sequence[uuid.UUID],
                    closed: Sequence[str]) -> dict[uuid.UUID, int]: ...

    def move(self, subtask_id: uuid.UUID, expected: str, target: str,
             values: dict[str, Any]) -> bool: ...


class RoutingStore(Protocol):
    """What routing reads and the round-robin cursors it advances."""

    def unassigned(self, task_ids: Sequence[uuid.UUID] | None) -> list[Task]:
        """Approved tasks nobody is assigned to (of `task_ids`, when given), oldest first."""
        ...

    def advance(self, rule: str, steps: int) -> int:
        """Move a rule's cursor on by `steps`; return where it stood before (atomically)."""
        ...

    def loads(self, people: Sequence[str]) -> dict[str, int]:
        """How many tasks each person has in progress."""
        ...

    def specialists(self, people: Sequence[str], category: str, since: datetime
                    ) -> dict[str, tuple[float, int]]:
        """Per person: mean estimate accuracy and completions in `category` since `since`."""
        ...


class WorkflowStore(Protocol):
    """The custom workflow in force: its declared states, and the edges derived from it."""

    def states(self) -> tuple[CustomState, ...]: ...

    def replace(self, states: Sequence[CustomState], lifecycle: Lifecycle) -> None: ...

    def counts(self, statuses: Sequence[str]) -> dict[str, int]:
        """How many tasks are in each of `statuses` (those with none are left out)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: rolled back on exit unless `commit()` was called."""

    @property
    def tasks(self) -> TaskRepository: ...

    @property
    def principals(self) -> PrincipalRepository: ...

    @property
    def stats(self) -> StatsQueries: ...

    @property
    def dashboard(self) -> DashboardQueries: ...

    @property
    def transfer(self) -> TransferStore: ...

    @property
    def distributions(self) -> DistributionQueries: ...

    @property
    def history(self) -> HistoryQueries: ...

    @property
    def subtasks(self) -> SubtaskRepository: ...

    @property
    def audit(self) -> AuditQueries: ...

    @property
    def archive(self) -> ArchiveStore: ...

    @property
    def status(self) -> StatusQueries: ...

    @property
    def routing(self) -> RoutingStore: ...

    @property
    def templates(self) -> TemplateStore: ...

    @property
    def teams(self) -> TeamRepository: ...

    @property
    def workflow(self) -> WorkflowStore: ...

    @property
    def stream(self) -> EventStream: ...

    @property
    def webhooks(self) -> WebhookRepository: ...

    @property
    def notifications(self) -> NotificationLog: ...

    @property
    def leases(self) -> LeaseStore: ...

    @property
    def idempotency(self) -> IdempotencyKeys: ...

    @property
    def web_sessions(self) -> WebSessionStore: ...

    def as_history(self) -> None: ...  # its events are history: no after-commit consumer

    def commit(self) -> None: ...


class Database(Protocol):
    """Opens units of work: `write()` takes the write lock up front, `read()` does not."""

    def write(self) -> AbstractContextManager[UnitOfWork]: ...

    def read(self) -> AbstractContextManager[UnitOfWork]: ...

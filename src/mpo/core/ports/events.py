"""What the event stream's readers and consumers need from storage, as protocols: the
stream and a waker (`mpo.core.usecases.stream`), webhooks' delivery queue
(`mpo.core.usecases.webhooks`, `.deliver`) and the notification log
(`mpo.core.usecases.notify`). The store implements them and the unit of work
(`mpo.core.ports`) hands them out; they live apart from the use cases that call them so
the ports never import a use case (tests/test_layers.py looks for cycles, `TYPE_CHECKING`
imports included).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mpo.core.domain.selection import TaskQuery
    from mpo.core.tables.models import TaskEvent
    from mpo.core.tables.stream_models import EventCursor, Webhook, WebhookDelivery

#: Events read per query; a reader that is behind catches up in pages of this size.
PAGE = 500


class EventStream(Protocol):
    """Reads of the log in id order, never past an id that could still commit (a later
    read gets it: see store/stream.py), and consumers' cursors."""

    def after(
        self,
        after_id: int,
        *,
        query: TaskQuery | None = None,
        task_ids: Sequence[uuid.UUID] = (),
        actions: Sequence[str] = (),
        limit: int = PAGE,
    ) -> list[TaskEvent]: ...

    def by_ids(self, ids: Sequence[int]) -> list[TaskEvent]: ...

    def newest_id(self) -> int: ...

    def cursor(self, consumer: str, owner: str) -> EventCursor | None:
        """`owner`'s cursor named `consumer` (names are per principal)."""
        ...

    def advance(self, consumer: str, owner: str, event_id: int) -> None: ...


class Waker(Protocol):
    """Blocks until events may have been committed, or `timeout` seconds pass."""

    def wait(self, timeout: float) -> bool: ...


class WebhookRepository(Protocol):
    """Webhooks and their delivery queue."""

    def add(self, hook: Webhook) -> None: ...

    def all(self) -> list[Webhook]: ...

    def get(self, webhook_id: int, *, lock: bool = False) -> Webhook | None:
        """The webhook; `lock`: held against other writers until the commit (its cursor
        moves)."""
        ...

    def remove(self, hook: Webhook) -> None: ...

    def enqueue(self, deliveries: list[WebhookDelivery]) -> None: ...

    def queued(self, webhook_id: int, event_ids: list[int]) -> set[int]: ...

    def pending(self, webhook_id: int) -> list[WebhookDelivery]: ...

    def by_status(self, status: str, webhook_id: int | None = None
                  ) -> list[WebhookDelivery]: ...

    def delivery(self, delivery_id: int) -> WebhookDelivery | None: ...

    def claim(self, delivery_id: int, now: datetime, until: datetime) -> bool:
        """Take a pending delivery due by `now` for this sender until `until`; False if it
        is not due any more or another sender holds it (never waits for one)."""
        ...


class NotificationLog(Protocol):
    """Which notifications went out, per channel and period."""

    def claim(self, channel: str, period: str, at: datetime) -> bool:
        """Record a send about to happen; False if it was already recorded."""
        ...

    def release(self, channel: str, period: str) -> None: ...

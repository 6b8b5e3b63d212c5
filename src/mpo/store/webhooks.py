"""Webhooks and their delivery queue.

Several `mpo deliver` runs (one per server's cron) share the queue: each delivery is
claimed before it is sent, `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite's writers are
serialised already), by moving its next attempt past the request's end, so no other run
sends it meanwhile.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import Session, col

from mpo.core.tables.stream_models import Webhook, WebhookDelivery


class SqlWebhookRepository:
    """The store's implementation of `mpo.core.ports.events.WebhookRepository`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, hook: Webhook) -> None:
        self.session.add(hook)
        self.session.flush()  # its id, for the caller

    def all(self) -> list[Webhook]:
        return list(self.session.scalars(select(Webhook).order_by(col(Webhook.id))))

    def get(self, webhook_id: int, *, lock: bool = False) -> Webhook | None:
        return self.session.get(Webhook, webhook_id, with_for_update=lock)

    def remove(self, hook: Webhook) -> None:
        self.session.execute(delete(WebhookDelivery).where(
            col(WebhookDelivery.webhook_id) == hook.id))
        self.session.delete(hook)

    def enqueue(self, deliveries: list[WebhookDelivery]) -> None:
        self.session.add_all(deliveries)

    def queued(self, webhook_id: int, event_ids: list[int]) -> set[int]:
        """Which of these events already have a row in the webhook's queue."""
        stmt = select(col(WebhookDelivery.event_id)).where(
            col(WebhookDelivery.webhook_id) == webhook_id,
            col(WebhookDelivery.event_id).in_(event_ids))
        return set(self.session.scalars(stmt))

    def pending(self, webhook_id: int) -> list[WebhookDelivery]:
        """Pending and dead deliveries, in event order (dead ones hold their task back)."""
        stmt = (select(WebhookDelivery)
                .where(col(WebhookDelivery.webhook_id) == webhook_id,
                       col(WebhookDelivery.status).in_(("pending", "dead")))
                .order_by(col(WebhookDelivery.event_id)))
        return list(self.session.scalars(stmt))

    def by_status(self, status: str, webhook_id: int | None = None) -> list[WebhookDelivery]:
        stmt = select(WebhookDelivery).where(col(WebhookDelivery.status) == status)
        if webhook_id is not None:
            stmt = stmt.where(col(WebhookDelivery.webhook_id) == webhook_id)
        return list(self.session.scalars(stmt.order_by(col(WebhookDelivery.id))))

    def delivery(self, delivery_id: int) -> WebhookDelivery | None:
        return self.session.get(WebhookDelivery, delivery_id, with_for_update=True)


    def claim(self, delivery_id: int, now: datetime, until: datetime) -> bool:
        stmt = (select(WebhookDelivery)
                .where(col(WebhookDelivery.id) == delivery_id,
                       col(WebhookDelivery.status) == "pending",
                       col(WebhookDelivery.next_attempt_at) <= now)
                .with_for_update(skip_locked=True))
        found = self.session.scalars(stmt).first()
        if found is None:
            return False
        found.next_attempt_at = until
        return True

"""The output fields of webhooks and their deliveries (see docs/events.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mpo.core.fields import FieldSet

if TYPE_CHECKING:
    from mpo.core.stream_models import Webhook, WebhookDelivery

WEBHOOK = FieldSet(
    "webhook",
    all=("id", "url", "events", "secret_name", "created_by", "created_at"),
    default=("id", "url", "events", "secret_name"),
)

DELIVERY = FieldSet(
    "delivery",
    all=("id", "webhook_id", "event_id", "task_id", "status", "attempts", "next_attempt_at",
         "last_error", "delivered_at"),
    default=("id", "webhook_id", "event_id", "task_id", "attempts", "last_error"),
)


def webhook_row(hook: Webhook) -> dict[str, Any]:
    """A webhook as an output row (its secret's name, never the secret)."""
    return {"id": hook.id, "url": hook.url, "events": list(hook.events) or ["*"],
            "secret_name": hook.secret_name, "created_by": hook.created_by,
            "created_at": hook.created_at}


def delivery_row(found: WebhookDelivery) -> dict[str, Any]:
    """A queued, delivered or dead delivery as an output row."""
    return {"id": found.id, "webhook_id": found.webhook_id, "event_id": found.event_id,
            "task_id": str(found.task_id), "status": found.status, "attempts": found.attempts,
            "next_attempt_at": found.next_attempt_at, "last_error": found.last_error,
            "delivered_at": found.delivered_at}

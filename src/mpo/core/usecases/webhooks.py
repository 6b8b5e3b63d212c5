"""Webhooks: which URLs receive which events (admins), and what waits in their queues.

Each webhook reads the stream through its own cursor, kept on its own row and set to the
newest event when it is added: no consumer name anyone could claim first (issue 22).
Sending is `mpo.core.usecases.deliver`'s; which URLs are allowed and when a failure is
retried are `mpo.core.domain.webhook_rules`'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mpo.core.domain import permissions, validation
from mpo.core.domain.clock import utcnow
from mpo.core.domain.errors import NotFound
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.vocabulary import Action, values
from mpo.core.domain.webhook_rules import check_url
from mpo.core.ports import Database
from mpo.core.tables.stream_models import Webhook, WebhookDelivery
from mpo.core.usecases.identity import refusals_recorded


@dataclass
class Queue:
    """A webhook and what waits for it: deliveries not yet sent, how many of them failed
    already and wait for a retry, when the next attempt is due, and the dead letters."""

    hook: Webhook
    pending: int = 0
    retrying: int = 0
    next_attempt_at: datetime | None = None
    dead: int = 0


def add_webhook(db: Database, actor: Actor, url: str, events: Sequence[str],
                secret_name: str, *, allow_link_local: bool = False) -> Webhook:
    """Register a webhook; it receives the events committed from now on."""
    with refusals_recorded(db, actor, Verb.WEBHOOKS):
        permissions.require(actor, Verb.WEBHOOKS)
        for event in events:
            validation.one_of("events", event, values(Action))
        hook = Webhook(url=check_url(url, allow_link_local=allow_link_local),
                       events=sorted(set(events)),
                       secret_name=validation.name("secret", secret_name),
                       created_by=actor.name, created_at=utcnow())
        with db.write() as uow:
            hook.last_event_id = uow.stream.newest_id()
            uow.webhooks.add(hook)
            uow.commit()
        return hook


def list_webhooks(db: Database, actor: Actor) -> list[Queue]:
    """Every webhook with its queue (admins)."""
    with refusals_recorded(db, actor, Verb.WEBHOOKS):
        permissions.require(actor, Verb.WEBHOOKS)
        with db.read() as uow:
            queues = []
            for hook in uow.webhooks.all():
                queue = Queue(hook)
                for found in uow.webhooks.pending(hook.id or 0):
                    if found.status == "dead":
                        queue.dead += 1
                        continue
                    queue.pending += 1
                    queue.retrying += found.attempts > 0
                    if queue.next_attempt_at is None or \
                            found.next_attempt_at < queue.next_attempt_at:
                        queue.next_attempt_at = found.next_attempt_at
                queues.append(queue)
            return queues


def remove_webhook(db: Database, actor: Actor, webhook_id: int) -> Webhook:
    """Stop delivering to a webhook and forget its queue."""
    with refusals_recorded(db, actor, Verb.WEBHOOKS):
        permissions.require(actor, Verb.WEBHOOKS)
        with db.write() as uow:
            hook = uow.webhooks.get(webhook_id)
            if hook is None:
                raise NotFound(f"no webhook with id {webhook_id}")
            uow.webhooks.remove(hook)
            uow.commit()
        return hook


def failures(db: Database, actor: Actor, webhook_id: int | None = None
             ) -> list[WebhookDelivery]:
    """The dead-lettered deliveries."""
    with refusals_recorded(db, actor, Verb.WEBHOOKS):
        permissions.require(actor, Verb.WEBHOOKS)
        with db.read() as uow:
            return uow.webhooks.by_status("dead", webhook_id)


def retry(db: Database, actor: Actor, delivery_ids: Sequence[int] = (),
          clock: Callable[[], datetime] = utcnow) -> int:
    """Queue dead deliveries again (those given, or all); return how many."""
    with refusals_recorded(db, actor, Verb.WEBHOOKS):
        permissions.require(actor, Verb.WEBHOOKS)
        with db.write() as uow:
            dead = uow.webhooks.by_status("dead")
            chosen = [d for d in dead if not delivery_ids or d.id in delivery_ids]
            missing = set(delivery_ids) - {d.id for d in chosen}
            if missing:
                raise NotFound(f"no dead delivery with id {min(missing)}")
            for found in chosen:
                found.status, found.attempts, found.next_attempt_at = "pending", 0, clock()
            uow.commit()
        return len(chosen)

"""Webhooks: which URLs receive which events, and the delivery queue's rules.

Each webhook reads the stream through its own cursor: new events are queued and the cursor
advanced in one transaction, so none is lost or queued twice. A delivery is attempted
outside any transaction; a failure is retried after 1 s, 5 s and 30 s, then dead-lettered
until `mpo webhook retry`. Per task, events go out in order: a task whose earlier event is
still waiting (or dead) holds its later ones back; other tasks go on.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mpo.core.domain import permissions, validation
from mpo.core.domain.clock import utcnow
from mpo.core.domain.errors import NotFound, ValidationError
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.vocabulary import Action, values
from mpo.core.ports import Database
from mpo.core.tables.stream_models import Webhook, WebhookDelivery
from mpo.core.usecases.identity import refusals_recorded

if TYPE_CHECKING:
    from mpo.core.tables.models import Task, TaskEvent

#: Seconds before the 2nd, 3rd and 4th attempts; after the 4th failure, the dead letter.
BACKOFF: tuple[int, ...] = (1, 5, 30)
#: Sends one event to one webhook; returns None on success, else why it failed.
Sender = Callable[[Webhook, "TaskEvent", "Task | None"], "str | None"]


def cursor_name(hook: Webhook) -> str:
    """The stream cursor a webhook reads through."""
    return f"webhook-{hook.id}"


def check_url(url: str) -> str:
    """An http(s) URL with a host: the only place deliveries ever go."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("url", f"{url!r} is not an http:// or https:// URL")
    return url.strip()


def add_webhook(db: Database, actor: Actor, url: str, events: Sequence[str],
                secret_name: str) -> Webhook:
    """Register a webhook; it receives the events committed from now on."""
    with refusals_recorded(db, actor, Verb.WEBHOOKS):
        permissions.require(actor, Verb.WEBHOOKS)
        for event in events:
            validation.one_of("events", event, values(Action))
        hook = Webhook(url=check_url(url), events=sorted(set(events)),
                       secret_name=validation.name("secret", secret_name),
                       created_by=actor.name, created_at=utcnow())
        with db.write() as uow:
            uow.webhooks.add(hook)
            uow.stream.advance(cursor_name(hook), actor.name, uow.stream.newest_id())
            uow.commit()
        return hook


def list_webhooks(db: Database, actor: Actor) -> list[Webhook]:
    """Every webhook (admins)."""
    with refusals_recorded(db, actor, Verb.WEBHOOKS):
        permissions.require(actor, Verb.WEBHOOKS)
        with db.read() as uow:
            return uow.webhooks.all()


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


@dataclass
class Delivered:
    """What one `deliver` run did."""

    queued: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def _enqueue(db: Database, actor: Actor, now: datetime) -> int:
    """Queue, per webhook, the events after its cursor; advance the cursor with them."""
    with db.read() as uow:
        hooks = uow.webhooks.all()
    queued = 0
    for hook in hooks:
        while True:
            with db.write() as uow:
                found = uow.stream.cursor(cursor_name(hook))
                after = found.last_event_id if found is not None else 0
                events = uow.stream.after(after)
                if not events:
                    break
                chosen = [e for e in events if not hook.events or e.action in hook.events]
                uow.webhooks.enqueue([
                    WebhookDelivery(webhook_id=hook.id or 0, event_id=e.id or 0,
                                    task_id=e.task_id, next_attempt_at=now)
                    for e in chosen])
                uow.stream.advance(cursor_name(hook), actor.name, events[-1].id or after)
                uow.commit()
            queued += len(chosen)
    return queued


def _record(db: Database, delivery_id: int, error: str | None, now: datetime,
            result: Delivered) -> datetime | None:
    """Store an attempt's outcome; return when to try again (None: delivered, dead, gone)."""
    with db.write() as uow:
        found = uow.webhooks.delivery(delivery_id)
        if found is None:  # the webhook was removed meanwhile
            return None
        found.attempts += 1
        again = None
        if error is None:
            found.status, found.delivered_at, found.last_error = "delivered", now, None
            result.delivered += 1
        elif found.attempts > len(BACKOFF):
            found.status, found.last_error = "dead", error
            result.dead += 1
        else:
            again = now + timedelta(seconds=BACKOFF[found.attempts - 1])
            found.next_attempt_at, found.last_error = again, error
            result.failed += 1
        uow.commit()
        return again


def _attempt_due(db: Database, send: Sender, clock: Callable[[], datetime],
                 result: Delivered) -> datetime | None:
    """Send every delivery that is due and not held back; return the next retry time."""
    with db.read() as uow:
        queues = [(hook, uow.webhooks.pending(hook.id or 0)) for hook in uow.webhooks.all()]
        ids = sorted({d.event_id for _, queue in queues for d in queue})
        events = {e.id: e for e in uow.stream.by_ids(ids)} if ids else {}
        task_ids: set[uuid.UUID] = {e.task_id for e in events.values()}
        tasks = {t: uow.tasks.get(t) for t in task_ids}
    retries: list[datetime] = []
    for hook, queue in queues:
        held: set[uuid.UUID] = set()  # tasks with an earlier event not yet delivered
        for delivery in queue:
            if delivery.task_id in held:
                continue
            if delivery.status == "dead" or delivery.next_attempt_at > clock():
                held.add(delivery.task_id)
                if delivery.status != "dead":
                    retries.append(delivery.next_attempt_at)
                continue
            event = events[delivery.event_id]
            error = send(hook, event, tasks.get(event.task_id))
            again = _record(db, delivery.id or 0, error, clock(), result)
            if again is not None:
                held.add(delivery.task_id)
                retries.append(again)
    return min(retries, default=None)


def deliver(
    db: Database,
    actor: Actor,
    send: Sender,
    *,
    max_time: float = 55.0,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivered:
    """Queue new events and send what is due, retrying until the queue is empty or the
    next retry falls beyond `max_time` seconds (cron runs it again)."""
    with refusals_recorded(db, actor, Verb.WEBHOOKS):
        permissions.require(actor, Verb.WEBHOOKS)
        result = Delivered()
        deadline = clock() + timedelta(seconds=max_time)
        while True:
            result.queued += _enqueue(db, actor, clock())
            due = _attempt_due(db, send, clock, result)
            if due is None or due > deadline:
                return result
            sleep(max((due - clock()).total_seconds(), 0.0))

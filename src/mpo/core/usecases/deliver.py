"""`mpo deliver`: queue each webhook's new events and send what is due, within a deadline.

New events are queued and the webhook's cursor advanced in one transaction, so none is lost
or queued twice. A delivery is attempted outside any transaction. A failure is retried on
the plan of `mpo.core.domain.webhook_rules` (about a day, with jitter), then dead-lettered
until `mpo webhook retry`; a delivery that cannot be sent at all (the sender raised: a URL
stored before URLs were checked, a secret missing from the keyring) is dead-lettered at
once. Per task, events go out in order: a task whose earlier event is still waiting (or
dead) holds its later ones back; other tasks, and other webhooks, go on.

Several runs at once (`mpo deliver` in every server's cron, issue 25) send each delivery
once: a run claims a delivery before sending it (its next attempt moved past the request's
end, `CLAIM_S`), and a delivery another run holds, or has sent meanwhile, holds its task
back in this run. A run that dies mid-request leaves its claim to lapse; another run then
sends the event again (receivers de-duplicate by `webhook-id`).

`max_time` is a hard bound: each request gets at most the time left (and never more than
`REQUEST_S`), and nothing new starts once it is spent; what is left waits in the queue for
the next run.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mpo.core.domain import permissions
from mpo.core.domain.clock import utcnow
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.webhook_rules import retry_delay
from mpo.core.ports import Database
from mpo.core.tables.stream_models import Webhook, WebhookDelivery
from mpo.core.usecases.identity import refusals_recorded

if TYPE_CHECKING:
    from mpo.core.tables.models import Task, TaskEvent

#: The longest one request may take, start to last byte.
REQUEST_S = 10.0
#: How long a claimed delivery is kept from other runs: a request and its recording.
CLAIM_S = 3 * REQUEST_S
#: Sends one event to one webhook within a number of seconds; returns None on success,
#: else why it failed (it raises only when the delivery cannot be made at all).
Sender = Callable[[Webhook, "TaskEvent", "Task | None", float], "str | None"]


@dataclass
class Delivered:
    """What one `deliver` run did."""

    queued: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def _enqueue(db: Database, now: datetime) -> int:
    """Queue, per webhook, the events after its cursor; advance the cursor with them."""
    with db.read() as uow:
        ids = [hook.id or 0 for hook in uow.webhooks.all()]
    queued = 0
    for webhook_id in ids:
        while True:
            with db.write() as uow:
                hook = uow.webhooks.get(webhook_id, lock=True)
                if hook is None:  # removed meanwhile
                    break
                events = uow.stream.after(hook.last_event_id)
                if not events:
                    break
                # An imported event already has its row (status "history"): not news.
                known = uow.webhooks.queued(webhook_id, [e.id or 0 for e in events])
                chosen = [e for e in events if (not hook.events or e.action in hook.events)
                          and e.id not in known]
                uow.webhooks.enqueue([
                    WebhookDelivery(webhook_id=webhook_id, event_id=e.id or 0,
                                    task_id=e.task_id, next_attempt_at=now)
                    for e in chosen])
                hook.last_event_id = events[-1].id or hook.last_event_id
                uow.commit()
            queued += len(chosen)
    return queued


def _record(db: Database, delivery_id: int, error: str | None, now: datetime,
            result: Delivered, *, jitter: float, final: bool = False) -> datetime | None:
    """Store an attempt's outcome; return when to try again (None: delivered, dead, gone)."""
    with db.write() as uow:
        found = uow.webhooks.delivery(delivery_id)
        if found is None:  # the webhook was removed meanwhile
            return None
        found.attempts += 1
        delay = None if final else retry_delay(found.attempts, jitter)
        again = None
        if error is None:
            found.status, found.delivered_at, found.last_error = "delivered", now, None
            result.delivered += 1
        elif delay is None:
            found.status, found.last_error = "dead", error
            result.dead += 1
        else:
            again = now + timedelta(seconds=delay)
            found.next_attempt_at, found.last_error = again, error
            result.failed += 1
        uow.commit()
        return again


@dataclass
class _Run:
    send: Sender
    clock: Callable[[], datetime]
    deadline: datetime
    jitter: Callable[[], float]
    result: Delivered

    def left(self) -> float:
        return (self.deadline - self.clock()).total_seconds()

    def attempt(self, db: Database, hook: Webhook, delivery: WebhookDelivery,
                event: TaskEvent, task: Task | None) -> datetime | None:
        """One request, bounded by the time left; its outcome recorded."""
        final = False
        now = self.clock()
        with db.write() as uow:
            if not uow.webhooks.claim(delivery.id or 0, now, now + timedelta(seconds=CLAIM_S)):
                return now  # another run holds it or has sent it: its task waits here
            uow.commit()
        try:
            error = self.send(hook, event, task, min(REQUEST_S, self.left()))
        except Exception as exc:  # this delivery cannot be made: dead now, others go on
            error, final = f"{type(exc).__name__}: {exc}".splitlines()[0], True
        return _record(db, delivery.id or 0, error, self.clock(), self.result,
                       jitter=self.jitter(), final=final)


def _attempt_due(db: Database, run: _Run) -> datetime | None:
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
            if delivery.status == "dead" or delivery.next_attempt_at > run.clock() \
                    or run.left() <= 0:
                held.add(delivery.task_id)
                if delivery.status != "dead":
                    retries.append(delivery.next_attempt_at)
                continue
            event = events[delivery.event_id]
            again = run.attempt(db, hook, delivery, event, tasks.get(event.task_id))
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
    jitter: Callable[[], float] = random.random,
) -> Delivered:
    """Queue new events and send what is due, retrying until the queue is empty, the next
    retry falls beyond `max_time` seconds, or they are spent (cron runs it again)."""
    with refusals_recorded(db, actor, Verb.WEBHOOKS):
        permissions.require(actor, Verb.WEBHOOKS)
        run = _Run(send, clock, clock() + timedelta(seconds=max_time), jitter, Delivered())
        while True:
            run.result.queued += _enqueue(db, clock())
            due = _attempt_due(db, run)
            if due is None or due >= run.deadline or run.left() <= 0:
                return run.result
            sleep(max((due - clock()).total_seconds(), 0.0))

"""Webhooks against a real HTTP receiver (a thread): signatures checked as a receiver
would, the receiver down then back, every event exactly once after de-duplication, in
order per task, retries with backoff and the dead letter. Time is a fake clock; the HTTP,
keyring and database are real."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from mpo.auth import secrets
from mpo.core.domain.clock import utcnow
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases import deliver, webhooks
from mpo.delivery.webhooks import sender
from mpo.store.database import SqlDatabase
from tests.builders import move, task_in
from tests.conftest import MpoRunner
from tests.delivery.receivers import Receiver, receiver
from tests.events_fixtures import events_db, migrated_url, module_pg

__all__ = ["events_db", "migrated_url", "module_pg", "receiver"]  # fixtures

ADMIN = Actor("ana", Role.ADMIN)


class Clock:
    """Fake time: `sleep` moves it on at once."""

    def __init__(self) -> None:
        self.now = utcnow()
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds))
        self.now += timedelta(seconds=seconds)


def _only(db: SqlDatabase, receiver: Receiver, events: list[str]) -> webhooks.Webhook:
    """The one webhook of the (possibly shared) database, to `receiver`."""
    for old in webhooks.list_webhooks(db, ADMIN):
        webhooks.remove_webhook(db, ADMIN, old.hook.id or 0)
    secrets.store("hook-secret", receiver.secret)
    return webhooks.add_webhook(db, ADMIN, receiver.url, events, "hook-secret")


def _deliver(db: SqlDatabase, clock: Clock, max_time: float) -> deliver.Delivered:
    """A run on the fake clock, retries on the plan's delays exactly (no jitter)."""
    return deliver.deliver(db, ADMIN, sender(secrets.read), max_time=max_time, clock=clock,
                           sleep=clock.sleep, jitter=lambda: 0.5)


def test_a_receiver_down_for_a_while_gets_every_event_once_in_order_per_task(
    events_db: SqlDatabase, receiver: Receiver
) -> None:
    _only(events_db, receiver, [])
    first = task_in(events_db, Status.APPROVED)
    second = task_in(events_db, Status.AWAITING_APPROVAL)
    move(events_db, first, Action.ASSIGN)
    clock = Clock()

    receiver.down = True
    outage = _deliver(events_db, clock, max_time=10)
    # One attempt per task's oldest event, again after 5 s; the 5 min retry is beyond 10 s.
    assert (outage.queued, outage.delivered, outage.failed) == (6, 0, 4)
    assert clock.slept == [5]

    receiver.down, receiver.ack_then_fail = False, True  # kept, but answered 500: resent
    _deliver(events_db, clock, max_time=400)
    assert clock.slept == [5, 300]
    receiver.ack_then_fail = False
    back = _deliver(events_db, clock, max_time=3600)
    assert back.dead == 0 and receiver.bad_signatures == 0
    assert len(receiver.seen) == 6 and receiver.attempts > 6
    for task in (first, second):
        ids = [event_id for task_id, event_id in receiver.order if task_id == str(task.id)]
        assert ids == sorted(ids)
    actions = [e["type"] for e in receiver.seen.values() if e["data"]["task_id"] == str(first.id)]
    assert actions == ["task.create", "task.submit", "task.approve", "task.assign"]
    assert webhooks.failures(events_db, ADMIN) == []


def test_a_failure_is_retried_for_about_a_day_then_dead_lettered_holding_its_task(
    events_db: SqlDatabase, receiver: Receiver
) -> None:
    hook = _only(events_db, receiver, ["submit", "approve"])
    task = task_in(events_db, Status.AWAITING_APPROVAL)
    clock = Clock()
    receiver.down = True
    down = _deliver(events_db, clock, max_time=2 * 86400)
    assert (down.failed, down.dead) == (7, 1)  # Standard Webhooks' plan: ~28 h in all
    assert clock.slept == [5, 300, 1800, 7200, 18000, 36000, 36000]
    [dead] = webhooks.failures(events_db, ADMIN, hook.id)
    move(events_db, task, Action.APPROVE)
    receiver.down = False
    held = _deliver(events_db, clock, max_time=1)
    assert (held.queued, held.delivered) == (1, 0)  # the approve waits behind the dead submit
    assert webhooks.retry(events_db, ADMIN, [dead.id or 0], clock=clock) == 1
    after = _deliver(events_db, clock, max_time=1)
    assert after.delivered == 2
    assert [e["type"] for e in receiver.seen.values()] == ["task.submit", "task.approve"]


def test_webhook_commands_for_admins_only(runner: MpoRunner, db: Path,
                                          receiver: Receiver) -> None:
    added = runner.json("webhook", "add", receiver.url, "--events", "create")
    assert added["events"] == ["create"] and added["secret_name"].startswith("webhook-")
    secret = secrets.read(added["secret_name"])
    assert secret.startswith("whsec_")
    receiver.secret = secret
    runner.json("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1")
    delivered = runner("deliver", "--max-time", "5")
    assert delivered.exit_code == 0, delivered.stderr
    assert "queued 1, delivered 1" in delivered.stderr
    assert [e["type"] for e in receiver.seen.values()] == ["task.create"]
    assert [h["url"] for h in runner.json("webhook", "list")] == [receiver.url]
    assert runner.json("webhook", "failures") == []
    assert runner("webhook", "retry", "7").exit_code == 3
    minted = runner.json("principal", "add", "viewer-vi", "--role", "viewer")
    refused = runner("webhook", "list", env={"MPO_TOKEN": minted["token"]})
    assert refused.exit_code == 4 and "may not manage-webhooks" in refused.stderr
    bad = runner("webhook", "add", "https://example.com", "--secret-from-keyring", "nothing")
    assert bad.exit_code == 4 and "no webhook secret named 'nothing'" in bad.stderr
    ftp = runner("webhook", "add", "ftp://example.com", "--secret-from-keyring", "nothing")
    assert ftp.exit_code == 2 and "url:" in ftp.stderr
    assert runner("webhook", "remove", str(added["id"])).exit_code == 0
    assert runner.json("webhook", "list") == []


def test_a_delivery_another_run_holds_is_not_sent_and_holds_its_task_back(
    events_db: SqlDatabase, receiver: Receiver
) -> None:
    """Issue 25: `mpo deliver` in several servers' cron: a run claims a delivery before
    sending it; no other run sends it (nor its task's later events) until the claim lapses."""
    hook = _only(events_db, receiver, [])
    task = task_in(events_db, Status.AWAITING_APPROVAL)  # create, submit
    clock = Clock()
    assert deliver._enqueue(events_db, clock()) == 2
    with events_db.write() as uow:
        first = uow.webhooks.pending(hook.id or 0)[0]
        until = clock() + timedelta(seconds=deliver.CLAIM_S)
        assert uow.webhooks.claim(first.id or 0, clock(), until)
        uow.commit()
    with events_db.write() as uow:  # held: nobody else takes it
        assert not uow.webhooks.claim(first.id or 0, clock(), until)
    held = _deliver(events_db, clock, max_time=10)
    assert (held.delivered, receiver.attempts) == (0, 0)
    clock.now = until  # the other run died mid-request: its claim lapses
    after = _deliver(events_db, clock, max_time=10)
    assert after.delivered == 2
    assert receiver.order == [(str(task.id), first.event_id), (str(task.id), first.event_id + 1)]

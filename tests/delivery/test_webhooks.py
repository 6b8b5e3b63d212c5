"""Webhooks against a real HTTP receiver (a thread): signatures checked as a receiver
would, the receiver down then back, every event exactly once after de-duplication, in
order per task, retries with backoff and the dead letter. Time is a fake clock; the HTTP,
keyring and database are real."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mpo.auth import secrets
from mpo.core.domain.clock import utcnow
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases import webhooks
from mpo.delivery.webhooks import sender
from mpo.store.database import SqlDatabase
from tests.builders import move, task_in
from tests.conftest import MpoRunner
from tests.events_fixtures import events_db, migrated_url, module_pg

__all__ = ["events_db", "migrated_url", "module_pg"]  # fixtures

ADMIN = Actor("ana", Role.ADMIN)


@dataclass
class Receiver:
    """What the receiver saw; `down` makes it answer 503, `ack_then_fail` 500 after keeping."""

    secret: str
    url: str = ""
    down: bool = False
    ack_then_fail: bool = False
    attempts: int = 0
    bad_signatures: int = 0
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[tuple[str, int]] = field(default_factory=list)


def _verify(secret: str, headers: Any, body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers["webhook-signature"].split()]
    return any(hmac.compare_digest(expected, s) for s in offered)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(secrets.mint())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            state.attempts += 1
            if not _verify(state.secret, self.headers, body):
                state.bad_signatures += 1
                self.send_response(401)
            elif state.down:
                self.send_response(503)
            else:
                message_id = self.headers["webhook-id"]
                if message_id not in state.seen:  # de-duplicate by id
                    event = json.loads(body)
                    state.seen[message_id] = event
                    state.order.append((event["data"]["task_id"], event["id"]))
                self.send_response(500 if state.ack_then_fail else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


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
        webhooks.remove_webhook(db, ADMIN, old.id or 0)
    secrets.store("hook-secret", receiver.secret)
    return webhooks.add_webhook(db, ADMIN, receiver.url, events, "hook-secret")


def _deliver(db: SqlDatabase, clock: Clock, max_time: float) -> webhooks.Delivered:
    return webhooks.deliver(db, ADMIN, sender(secrets.read), max_time=max_time, clock=clock,
                            sleep=clock.sleep)


def test_a_receiver_down_for_a_while_gets_every_event_once_in_order_per_task(
    events_db: SqlDatabase, receiver: Receiver
) -> None:
    _only(events_db, receiver, [])
    first = task_in(events_db, Status.APPROVED)
    second = task_in(events_db, Status.AWAITING_APPROVAL)
    move(events_db, first, Action.ASSIGN)
    clock = Clock()

    receiver.down = True
    outage = _deliver(events_db, clock, max_time=3)
    # One attempt per task's oldest event, again after 1 s; the 5 s retry is beyond 3 s.
    assert (outage.queued, outage.delivered, outage.failed) == (6, 0, 4)
    assert clock.slept == [1]

    receiver.down, receiver.ack_then_fail = False, True  # kept, but answered 500: resent
    _deliver(events_db, clock, max_time=0)
    receiver.ack_then_fail = False
    back = _deliver(events_db, clock, max_time=60)
    assert back.dead == 0 and receiver.bad_signatures == 0
    assert len(receiver.seen) == 6 and receiver.attempts > 6
    for task in (first, second):
        ids = [event_id for task_id, event_id in receiver.order if task_id == str(task.id)]
        assert ids == sorted(ids)
    actions = [e["type"] for e in receiver.seen.values() if e["data"]["task_id"] == str(first.id)]
    assert actions == ["task.create", "task.submit", "task.approve", "task.assign"]
    assert webhooks.failures(events_db, ADMIN) == []


def test_four_failures_dead_letter_an_event_and_hold_its_task_until_retry(
    events_db: SqlDatabase, receiver: Receiver
) -> None:
    hook = _only(events_db, receiver, ["submit", "approve"])
    task = task_in(events_db, Status.AWAITING_APPROVAL)
    clock = Clock()
    receiver.down = True
    down = _deliver(events_db, clock, max_time=120)
    assert (down.failed, down.dead) == (3, 1)
    assert clock.slept == [1, 5, 30]
    [dead] = webhooks.failures(events_db, ADMIN, hook.id)
    move(events_db, task, Action.APPROVE)
    receiver.down = False
    held = _deliver(events_db, clock, max_time=0)
    assert (held.queued, held.delivered) == (1, 0)  # the approve waits behind the dead submit
    assert webhooks.retry(events_db, ADMIN, [dead.id or 0], clock=clock) == 1
    after = _deliver(events_db, clock, max_time=0)
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
    delivered = runner("deliver", "--max-time", "0")
    assert delivered.exit_code == 0, delivered.stderr
    assert "queued 1, delivered 1" in delivered.stderr
    assert [e["type"] for e in receiver.seen.values()] == ["task.create"]
    assert [h["url"] for h in runner.json("webhook", "list")] == [receiver.url]
    assert runner.json("webhook", "failures") == []
    assert runner("webhook", "retry", "7").exit_code == 3
    minted = runner.json("principal", "add", "viewer-vi", "--role", "viewer")
    refused = runner("webhook", "list", env={"MPO_TOKEN": minted["token"]})
    assert refused.exit_code == 4 and "may not manage-webhooks" in refused.stderr
    bad = runner("webhook", "add", "ftp://example.com", "--secret-from-keyring", "nothing")
    assert bad.exit_code == 4 and "no webhook secret named 'nothing'" in bad.stderr
    assert runner("webhook", "remove", str(added["id"])).exit_code == 0
    assert runner.json("webhook", "list") == []

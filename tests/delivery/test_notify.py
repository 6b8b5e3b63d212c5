"""`mpo notify`: the approval digest reaches a real SMTP server (aiosmtpd) and an apprise
`json://` URL served by a local HTTP thread; quiet hours and the digest time hold it back;
running twice sends once."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from mpo.config import events, paths
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.vocabulary import Status
from mpo.core.usecases.notify import Target, in_quiet, notify
from mpo.delivery.notify import sender
from mpo.store.database import SqlDatabase
from tests.builders import task_in
from tests.conftest import MpoRunner
from tests.events_fixtures import sqlite_db

__all__ = ["sqlite_db"]  # fixtures

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")

ADMIN = Actor("ana", Role.ADMIN)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


class Inbox:
    """An aiosmtpd handler keeping every message."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, str]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, f"smtp://127.0.0.1:{port}"
    controller.stop()


@pytest.fixture
def chat() -> Iterator[tuple[list[dict[str, Any]], str]]:
    """An HTTP endpoint that apprise's json:// notifications reach."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield received, f"json://127.0.0.1:{server.server_address[1]}/chat"
    server.shutdown()
    server.server_close()


def test_the_digest_goes_once_per_day_outside_quiet_hours(
    sqlite_db: SqlDatabase, smtp: tuple[Inbox, str], chat: tuple[list[dict[str, Any]], str]
) -> None:
    inbox, smtp_url = smtp
    posted, chat_url = chat
    run_id = f"{id(sqlite_db)}"  # the PostgreSQL database is shared: channels of our own
    task_in(sqlite_db, Status.AWAITING_APPROVAL)
    task_in(sqlite_db, Status.AWAITING_APPROVAL, marketplace="shopee",
            created_by="marketplace-shopee")
    channels = [events.Channel(f"mail-{run_id}", "email", "ops@example.com"),
                events.Channel(f"chat-{run_id}", "apprise", chat_url)]
    quiet = (time(22), time(8))
    targets = [Target(c.name, quiet) for c in channels]
    send = sender(channels, smtp_url, "mpo@example.com")

    def run(at: datetime) -> list[str]:
        return [o.outcome for o in notify(sqlite_db, ADMIN, targets, send, zone=SAO_PAULO,
                                          digest_time=time(8), clock=lambda: at)]

    # 10:00 UTC is 07:00 in São Paulo: before the digest time.
    assert run(datetime(2030, 1, 7, 10, tzinfo=UTC)) == ["early", "early"]
    assert run(datetime(2030, 1, 7, 12, tzinfo=UTC)) == ["sent", "sent"]
    assert run(datetime(2030, 1, 7, 15, tzinfo=UTC)) == ["already", "already"]
    # 02:00 UTC the next day is 23:00 in São Paulo, still Jan 7 there: quiet.
    assert run(datetime(2030, 1, 8, 2, tzinfo=UTC)) == ["quiet", "quiet"]
    [mail] = inbox.messages
    assert mail["To"] == "ops@example.com"
    assert "awaiting approval" in mail["Subject"]
    body = mail.get_payload()
    assert "amazon: " in body and "shopee: " in body and "oldest waiting" in body
    assert len(posted) == 1 and "awaiting approval" in posted[0]["title"]


def test_a_failed_send_is_reported_and_tried_again_next_run(sqlite_db: SqlDatabase) -> None:
    task_in(sqlite_db, Status.AWAITING_APPROVAL)
    closed = f"smtp://127.0.0.1:{_free_port()}"
    name = f"mail-{id(sqlite_db)}"
    channels = [events.Channel(name, "email", "ops@example.com")]
    at = datetime(2030, 2, 1, 12, tzinfo=UTC)
    outcomes = notify(sqlite_db, ADMIN, [Target(name, None)], sender(channels, closed, "m@x"),
                      zone=ZoneInfo("UTC"), digest_time=time(8), clock=lambda: at)
    assert [o.outcome for o in outcomes] == ["failed"]
    assert "ConnectionRefusedError" in outcomes[0].detail
    sent: list[str] = []
    again = notify(sqlite_db, ADMIN, [Target(name, None)], lambda *a: sent.append(a[0]),
                   zone=ZoneInfo("UTC"), digest_time=time(8), clock=lambda: at)
    assert [o.outcome for o in again] == ["sent"] and sent == [name]


@pytest.mark.parametrize(("now", "quiet"), [(time(23), True), (time(7, 59), True),
                                            (time(8), False), (time(12), False)])
def test_quiet_hours_wrap_past_midnight(now: time, quiet: bool) -> None:
    assert in_quiet(now, (time(22), time(8))) is quiet


def test_mpo_notify_from_cron_sends_once(runner: MpoRunner, db: Path,
                                         smtp: tuple[Inbox, str]) -> None:
    inbox, smtp_url = smtp
    paths.config_file().write_text(
        paths.config_file().read_text() + '\n[[channels]]\nname = "ops"\nemail = "ops@x.org"\n'
        'quiet_hours = ""\n')
    for key, value in (("smtp_url", smtp_url), ("digest_time", "00:00")):
        assert runner("config", "set", key, value).exit_code == 0
    bad = runner("config", "set", "digest_time", "8am")
    assert bad.exit_code == 2 and "digest_time: '8am' is not a time of day" in bad.stderr
    task = runner.json("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1",
                       "--created-by", "marketplace-amazon")
    assert runner("submit", task["id"]).exit_code == 0
    assert runner.json("notify") == [{"channel": "ops", "outcome": "sent",
                                      "detail": "mpo: 1 task awaiting approval"}]
    assert runner.json("notify")[0]["outcome"] == "already"
    assert len(inbox.messages) == 1


def test_with_a_public_url_the_digest_links_to_the_web_queue(
        runner: MpoRunner, db: Path, smtp: tuple[Inbox, str]) -> None:
    inbox, smtp_url = smtp
    paths.config_file().write_text(
        paths.config_file().read_text() + '\n[[channels]]\nname = "ops"\nemail = "ops@x.org"\n'
        'quiet_hours = ""\n')
    for key, value in (("smtp_url", smtp_url), ("digest_time", "00:00"),
                       ("public_url", "https://mpo.example.com/")):
        assert runner("config", "set", key, value).exit_code == 0
    bad = runner("config", "set", "public_url", "mpo.example.com")
    assert bad.exit_code == 2 and "public_url: 'mpo.example.com' is not http(s)" in bad.stderr
    task = runner.json("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1",
                       "--created-by", "marketplace-amazon")
    assert runner("submit", task["id"]).exit_code == 0
    assert runner.json("notify")[0]["outcome"] == "sent"
    body = inbox.messages[0].get_payload(decode=True)
    assert b"Review: https://mpo.example.com/web/queue\r\n" in body
    link = runner.json("auth", "web-link", "root")
    assert link["link"].startswith("https://mpo.example.com/web/signin#link=mpows-")

"""What a failing world does to webhooks (issue 22, findings 4-6): URLs checked when they
are added, one bad webhook never blocking another, a slow receiver never holding
`mpo deliver` past `--max-time`, retries pending shown by `mpo webhook list`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mpo.auth import secrets
from tests.conftest import MpoRunner
from tests.delivery.receivers import Receiver, Trickle, receiver, trickle
from tests.delivery.world import World, world

__all__ = ["receiver", "trickle", "world"]  # fixtures

REFUSED = [
    "http://127.0.0.1:18080/a b",
    "http://127.0.0.1:18080/a\r\nX-Injected: 1",
    "http://127.0.0.1:18080/a\nb",
    "http://user:secret@example.com/hook",
    "https://example.com:99999/hook",
    "https://example.com:0/hook",
    "https://example.com:port/hook",
    "ftp://example.com/hook",
    "http:///no-host",
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/latest/meta-data/",  # 169.254.169.254, as a resolver reads it
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://[fe80::1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://100.100.100.200/latest/meta-data/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_a_webhook_url_is_checked_when_it_is_added(runner: MpoRunner, db: Path,
                                                  url: str) -> None:
    refused = runner("webhook", "add", url)
    assert refused.exit_code == 2, refused.stderr
    assert refused.stderr.startswith("error: url: ") and len(refused.stderr.splitlines()) == 1
    assert "signing secret" not in refused.stderr  # nothing minted for a refused URL
    assert runner.json("webhook", "list") == []


def test_link_local_only_when_asked(runner: MpoRunner, db: Path) -> None:
    added = runner.json("webhook", "add", "http://169.254.169.254/hook", "--allow-link-local")
    assert added["url"] == "http://169.254.169.254/hook"


def _stored_unchecked(url: str, hook_url: str, secret_name: str) -> None:
    """A webhook row as an older mpo stored it, before URLs were checked."""
    engine = create_engine(url.replace("postgresql+psycopg", "postgresql+psycopg", 1))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO webhook (url, events, secret_name, created_by,"
                          " created_at) VALUES (:u, '[]', :s, 'root', CURRENT_TIMESTAMP)"),
                     {"u": hook_url, "s": secret_name})
    engine.dispose()


def test_one_bad_webhook_never_blocks_another_and_dead_letters(
        runner: MpoRunner, world: World, receiver: Receiver) -> None:
    secrets.store("good-hook", receiver.secret)
    refused = runner("webhook", "add", "http://169.254.169.254/", "--secret-from-keyring",
                     "good-hook")  # as an app login on PostgreSQL too
    assert refused.exit_code == 2 and "link-local" in refused.stderr
    _stored_unchecked(world.url, "http://127.0.0.1:9/a b", "good-hook")
    runner.json("webhook", "add", receiver.url, "--secret-from-keyring", "good-hook")
    runner.json("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1")
    run = runner("deliver", "--max-time", "5")
    assert run.exit_code == 0, run.stderr
    assert [e["type"] for e in receiver.seen.values()] == ["task.create"]
    [dead] = runner.json("webhook", "failures")
    assert dead["webhook_id"] == 1 and "url: " in dead["last_error"]
    listed = {h["id"]: h for h in runner.json("webhook", "list")}
    assert (listed[1]["pending"], listed[1]["dead"]) == (0, 1)
    assert (listed[2]["pending"], listed[2]["dead"]) == (0, 0)


def test_a_slow_receiver_never_holds_deliver_past_max_time(
        runner: MpoRunner, db: Path, trickle: Trickle) -> None:
    runner.json("webhook", "add", trickle.url)
    runner.json("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1")
    run = runner("deliver", "--max-time", "2")
    # It returned while the receiver was still trickling its answer: the deadline cut it.
    assert not trickle.finished.is_set()
    assert run.exit_code == 0, run.stderr
    assert "delivered 0, will retry 1" in run.stderr
    [hook] = runner.json("webhook", "list", "--fields", "pending,retrying,next_attempt_at,dead")
    assert (hook["pending"], hook["retrying"]) == (1, 1) and hook["next_attempt_at"]


def test_webhook_list_shows_the_retries_pending(runner: MpoRunner, db: Path,
                                                receiver: Receiver) -> None:
    secrets.store("down-hook", receiver.secret)
    runner.json("webhook", "add", receiver.url, "--secret-from-keyring", "down-hook")
    for title in ("a", "b"):
        runner.json("create", "-m", "amazon", "-t", title, "-c", "analysis", "-e", "1")
    receiver.down = True
    assert runner("deliver", "--max-time", "1").exit_code == 0
    [hook] = runner.json("webhook", "list", "--fields", "pending,retrying,next_attempt_at,dead")
    assert (hook["pending"], hook["retrying"], hook["dead"]) == (2, 2, 0)
    assert hook["next_attempt_at"]


def test_the_retry_plan_spans_about_a_day_with_jitter_then_dead_letters() -> None:
    from mpo.core.domain.webhook_rules import retry_delay

    plan = [retry_delay(attempts, 0.5) or 0.0 for attempts in range(1, 8)]
    assert plan == [5, 300, 1800, 7200, 18000, 36000, 36000]  # Standard Webhooks'
    assert 24 < sum(plan) / 3600 < 30
    assert retry_delay(8, 0.5) is None  # then the dead letter
    assert retry_delay(1, 0.0) == 4.5 and (retry_delay(1, 0.99) or 0) > 5.4  # +-10 %

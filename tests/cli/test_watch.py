"""`mpo watch`: JSON Lines when piped, a rolling table on a terminal, exact resumption."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import readback
from tests.conftest import MpoRunner
from tests.team import add_members


@pytest.fixture(autouse=True)
def team(db: Path) -> None:
    """The agents tasks are created for (`--created-by` names an active agent)."""
    add_members(f"sqlite:///{db}")


def _create(runner: MpoRunner, marketplace: str = "amazon") -> str:
    created = runner.json("create", "-m", marketplace, "-t", f"{marketplace} t", "-c",
                          "analysis", "-e", "1", "--created-by", f"marketplace-{marketplace}")
    return str(created["id"])


def test_watch_resumes_exactly_after_an_event_id(runner: MpoRunner, db: Path) -> None:
    first, second = _create(runner), _create(runner, "shopee")
    assert runner("submit", first, second).exit_code == 0
    piped = runner("watch", "--since-event", "1", "-n", "3")
    assert piped.exit_code == 0, piped.stderr
    events = [json.loads(line) for line in piped.stdout.splitlines()]
    assert [e["id"] for e in events] == [2, 3, 4]
    assert [e["action"] for e in events] == ["create", "submit", "submit"]
    assert events[0]["at"].endswith("+00:00")
    only = runner("watch", "--since-event", "0", "-m", "shopee", "--action", "submit", "-n", "1")
    assert json.loads(only.stdout)["task_id"] == second


def test_watch_draws_a_rolling_table_on_a_terminal(runner: MpoRunner, db: Path) -> None:
    task = _create(runner)
    shown = runner("watch", "--since-event", "0", "-n", "1", env={"MPO_FORCE_TTY": "1"})
    header, row = shown.stdout.splitlines()
    assert header.split() == ["id", "at", "task_id", "actor", "action", "from_status",
                              "to_status", "reason"]
    assert row.split()[:1] + row.split()[3:6] == ["1", task[:8], "root", "create"]


def test_a_named_consumer_resumes_where_it_stopped(runner: MpoRunner, db: Path) -> None:
    _create(runner)
    _create(runner)
    runner("watch", "--consumer", "shipper", "--since-event", "0", "-n", "1")
    rows = readback.fetch(str(db), "SELECT consumer, owner, last_event_id FROM event_cursor")
    assert rows == [{"consumer": "shipper", "owner": "root", "last_event_id": 1}]
    resumed = runner("watch", "--consumer", "shipper", "-n", "1")
    assert json.loads(resumed.stdout)["id"] == 2


def test_watch_refuses_unknown_filters(runner: MpoRunner, db: Path) -> None:
    bad = runner("watch", "--action", "explode")
    assert bad.exit_code == 2 and "action: 'explode' is not one of" in bad.stderr
    bad = runner("watch", "--status", "done")
    assert bad.exit_code == 2 and "status" in bad.stderr

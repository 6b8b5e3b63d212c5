"""`mpo stats` over any window gives the same numbers before and after `mpo archive`, on
SQLite and PostgreSQL, through the real app (issue 25)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from tests.archive.world import history
from tests.conftest import MpoRunner
from tests.readback import timeless


def _ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


#: Every window has fixed edges (days), so the two runs read the same window.
UNTIL = ("--until", _ago(-1))
WINDOWS = [
    UNTIL,
    ("--since", "2026-03-01", "--until", "2026-03-04", "--by", "day", "--tz", "UTC"),
    ("--day", "2026-03-02", "--tz", "UTC", "--by", "agent"),
    ("--since", "2026-01-01", *UNTIL, "--by", "category"),
    ("--since", _ago(10), *UNTIL, "--by", "priority"),
    ("--since", _ago(10), *UNTIL, "--by", "assignee"),
    ("--since", _ago(8), *UNTIL, "--by", "day", "-m", "amazon,shopee"),
    ("--since", _ago(6), "--until", _ago(3), "--by", "listing"),
    ("--since", _ago(4), *UNTIL, "--by", "marketplace"),
]


def _stats(runner: MpoRunner, env: dict[str, str], window: tuple[str, ...]) -> Any:
    result = runner("stats", *window, "--json", env=env)
    assert result.exit_code == 0, result.stderr
    return timeless(json.loads(result.stdout))


@pytest.fixture
def world(database_url: str) -> dict[str, str]:
    token = history(database_url)
    return {"MPO_DATABASE_URL": database_url, "MPO_TOKEN": token}


def test_stats_are_the_same_before_and_after_archiving(runner: MpoRunner,
                                                       world: dict[str, str]) -> None:
    before = [_stats(runner, world, w) for w in WINDOWS]
    archived = runner("archive", "--before", "4d", "--chunk", "7", "--json", env=world)
    assert archived.exit_code == 0, archived.stderr
    run = json.loads(archived.stdout)
    assert run["tasks"] > 20 and run["events"] > run["tasks"] and run["chunks"] >= 3
    after = [_stats(runner, world, w) for w in WINDOWS]
    for window, was, now in zip(WINDOWS, before, after, strict=True):
        assert now == was, window
    # and again once everything terminal is archived
    assert runner("archive", "--before", "0s", env=world).exit_code == 0
    assert [_stats(runner, world, w) for w in WINDOWS] == before

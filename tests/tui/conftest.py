"""A queue of proposals in a real SQLite database, and the context the apps act with."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mpo.cli.context import AppContext
from tests import migrated
from tests.cli.steps import agent_token
from tests.conftest import MpoRunner
from tests.team import add_members

Propose = Callable[..., list[str]]


@pytest.fixture
def db_url(runner: MpoRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An SQLite database set up by `mpo init --admin root`, with the test team."""
    url = f"sqlite:///{tmp_path / 'mpo.db'}"
    monkeypatch.setenv("MPO_DATABASE_URL", url)
    migrated.prepare(url)  # `mpo init` then finds the schema at head: fast
    assert runner("init", "--admin", "root").exit_code == 0
    add_members(url)
    return url


@pytest.fixture
def propose(runner: MpoRunner, db_url: str, tmp_path: Path) -> Propose:
    """The marketplace's agent creates and submits tasks in one batch each (so the admin may
    decide them: nobody decides a task they created or recorded); returns their ids, oldest
    first."""

    def make(count: int, marketplace: str = "amazon", title: str = "Rewrite GEO titles",
             **extra: object) -> list[str]:
        lines = [json.dumps({"marketplace": marketplace, "title": f"{title} {n}",
                             "category": "optimization", "estimated_hours": 2,
                             "created_by": f"marketplace-{marketplace}", **extra})
                 for n in range(count)]
        source = tmp_path / "tasks.ndjson"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        agent = {"MPO_TOKEN": agent_token(runner, marketplace)}
        made = runner("create", "--from", str(source), "--jsonl", env=agent)
        assert made.exit_code == 0, made.stderr
        ids = [json.loads(line)["id"] for line in made.stdout.splitlines()]
        submitted = runner("submit", *ids, "--yes", env=agent)
        assert submitted.exit_code == 0, submitted.stderr
        return ids

    return make


@pytest.fixture
def context(db_url: str) -> AppContext:
    """The admin's context, as `mpo review` builds it."""
    return AppContext()

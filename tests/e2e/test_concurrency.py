"""Many real processes writing one database at once: BEGIN IMMEDIATE makes SQLite writers
queue instead of failing, and idempotency keys hold across processes on both databases.

The databases are set up with `mpo init`, so every writer finds the admin's token in the
(file) keyring of the test's home, as a real user's processes would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import readback
from tests.cli.steps import SQLITE_ONLY, agent_token
from tests.conftest import MpoRunner

CREATOR = Path(__file__).with_name("creator.py")
PROCESSES = 8


def run_writers(url: str, tmp_path: Path, count: int, key: str | None = None
                ) -> list[dict[str, Any]]:
    """Start PROCESSES creators, release them together, and collect every result."""
    go = tmp_path / "go"
    env = os.environ | {"MPO_DATABASE_URL": url, "MPO_DEBUG": ""}
    outs = [tmp_path / f"worker-{n}.jsonl" for n in range(PROCESSES)]
    workers = [
        subprocess.Popen([sys.executable, str(CREATOR), str(n), str(count), str(go), str(out),
                          *([key] if key else [])], env=env, stderr=subprocess.PIPE, text=True)
        for n, out in enumerate(outs)
    ]
    go.touch()
    for worker in workers:
        assert worker.wait(timeout=600) == 0, worker.stderr.read() if worker.stderr else ""
    return [json.loads(line) for out in outs for line in out.read_text().splitlines()]


@SQLITE_ONLY
@pytest.mark.e2e
def test_8_processes_creating_25_tasks_each_on_one_sqlite_file_make_exactly_200(
    initialised: str, tmp_path: Path, runner: MpoRunner
) -> None:
    url = initialised
    agent_token(runner)  # the writers create for the amazon agent, which must exist
    results = run_writers(url, tmp_path, count=25)
    failures = [r for r in results if r["code"] != 0]
    assert failures == []
    assert len(results) == 200
    tasks = readback.tasks(url)
    assert len(tasks) == 200
    assert len({row["title"] for row in tasks.values()}) == 200  # no duplicates
    assert {json.loads(r["output"])["id"] for r in results} == set(tasks)
    events = readback.events(url)
    assert sorted(e["task_id"] for e in events) == sorted(tasks)
    assert {e["action"] for e in events} == {"create"}


@pytest.mark.e2e
def test_concurrent_creates_with_one_idempotency_key_make_exactly_one_task(
    initialised: str, tmp_path: Path, runner: MpoRunner
) -> None:
    database_url = initialised
    agent_token(runner)
    results = run_writers(database_url, tmp_path, count=3, key="the-same-key")
    assert [r for r in results if r["code"] != 0] == []
    created = [json.loads(r["output"]) for r in results]
    assert len({c["id"] for c in created}) == 1
    assert sum(1 for c in created if c["created"]) == 1
    assert len(readback.tasks(database_url)) == 1
    assert len(readback.events(database_url)) == 1

"""`mpo import` on PostgreSQL as the non-superuser owner docs/postgresql.md sets up (issue 22,
finding 14): history whose actors are not the importing admin is restored as it was, and
the round trip SQLite -> JSONL -> PostgreSQL -> JSONL is lossless, subtasks and their
checkpoints included (finding 15)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests import migrated
from tests.cli.steps import task_in
from tests.cli.test_transfer import export, world
from tests.conftest import MpoRunner, _server_url, _with_database
from tests.pg_app import conninfo
from tests.readback import fetch
from tests.team import add_members

pytestmark = pytest.mark.postgres


@pytest.fixture
def owned() -> Iterator[str]:
    """A database owned by a login that is neither superuser nor mpo_app (as documented)."""
    server = _server_url()
    owner, name = f"mpo_owner_{uuid.uuid4().hex[:8]}", f"mpo_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo(server), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{owner}" LOGIN CREATEROLE')
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    try:
        yield _with_database(server, name).replace("postgres@", f"{owner}@", 1)
    finally:
        with psycopg.connect(conninfo(server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{owner}"')


def test_the_owner_imports_history_of_other_actors(
    runner: MpoRunner, tmp_path: Path, owned: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'a.db'}"
    monkeypatch.setenv("MPO_DATABASE_URL", sqlite_url)
    migrated.prepare(sqlite_url)  # the source: the template's copy (the PostgreSQL side migrates)
    assert runner("init", "--admin", "root").exit_code == 0
    add_members(sqlite_url)
    world(runner)
    steps(runner)
    first = export(runner)
    dump = tmp_path / "tasks.jsonl"
    dump.write_text(first, encoding="utf-8")
    actors = {e["actor"] for line in fetch(sqlite_url, "SELECT actor FROM task_event")
              for e in [line]}
    assert actors - {"root"}  # the agents' creates: not the importing admin

    monkeypatch.setenv("MPO_DATABASE_URL", owned)
    init = runner("init", "--admin", "root")
    assert init.exit_code == 0, init.stderr
    add_members(owned)
    result = runner("import", str(dump))
    assert result.exit_code == 0, result.stderr
    assert export(runner) == first
    subtasks = [s for line in first.splitlines() for s in json.loads(line)["subtasks"]]
    assert sorted(s["status"] for s in subtasks) == ["completed", "pending"]
    assert {json.dumps(s["result"]) for s in subtasks} == {'{"skus": 5}', "null"}
    superuser = owned.replace(owned.split("://", 1)[1].split("@", 1)[0], "postgres", 1)
    assert fetch(superuser, "SELECT count(*) AS n FROM subtask")[0]["n"] == 2
    again = runner("import", str(dump))  # idempotent, steps too
    assert again.exit_code == 0 and "0 tasks (0 events), 5 already there" in again.stderr


def steps(runner: MpoRunner) -> None:
    """Two steps of the approved task: one checkpointed and approved, one pending."""
    approved = task_in(runner, "approved", "with steps")
    first = runner.json("subtask", "add", approved, "--type", "analysis", "--title", "Audit")
    runner.json("subtask", "start", first["id"])
    runner.json("checkpoint", "submit", first["id"], "--data", '{"skus": 5}')
    assert runner.json("checkpoint", "approve", first["id"])["status"] == "completed"
    runner.json("subtask", "add", approved, "--type", "content_generation", "--title", "Write")

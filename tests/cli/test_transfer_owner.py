"""`mpo import` on PostgreSQL as the non-superuser owner docs/postgresql.md sets up (issue 22,
finding 14): history whose actors are not the importing admin is restored as it was, and
the round trip SQLite -> JSONL -> PostgreSQL -> JSONL is lossless."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

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
    assert runner("init", "--admin", "root").exit_code == 0
    add_members(sqlite_url)
    world(runner)
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

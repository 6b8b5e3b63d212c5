"""PostgreSQL row-level security, tested as a NON-superuser role (superusers bypass RLS).

Raw SQL through psycopg, holding real database credentials for the app role, must not read
or change another marketplace's tasks, insert events as someone else, or forge the context.
The app itself must still work end to end when it connects as that role.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests import migrated
from tests.conftest import MpoRunner
from tests.team import add_members


def _conninfo(url: str, user: str | None = None) -> str:
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    if user is None:
        return conninfo
    scheme, rest = conninfo.split("://", 1)
    return f"{scheme}://{user}@{rest.split('@', 1)[1]}"


@pytest.fixture
def app_role(pg_url: str) -> Iterator[str]:
    """A login role in mpo_app: not the owner, not a superuser."""
    name = f"mpo_test_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(_conninfo(pg_url), autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')


@pytest.fixture
def world(runner: MpoRunner, pg_url: str, app_role: str,
          monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An initialised database with two agents, a task each, and an app login role."""
    monkeypatch.setenv("MPO_DATABASE_URL", pg_url)
    migrated.prepare(pg_url)  # `mpo init` then finds the schema at head: fast
    assert runner("init").exit_code == 0
    tokens = {}
    for marketplace in ("amazon", "shopee"):
        minted = runner.json("principal", "add", f"marketplace-{marketplace}", "--role",
                             "agent", "--marketplace", marketplace)
        tokens[marketplace] = minted["token"]
    tasks = {}
    for marketplace, token in tokens.items():
        created = runner.json("create", "--title", f"{marketplace} task", "--category",
                              "analysis", "--estimated-hours", "2",
                              env={"MPO_TOKEN": token})
        tasks[marketplace] = created["id"]
    add_members(pg_url)
    with psycopg.connect(_conninfo(pg_url), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{app_role}" LOGIN IN ROLE mpo_app')
        assert not conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s",
                                (app_role,)).fetchone()[0]
    url = pg_url.replace("postgres@", f"{app_role}@", 1)
    return {"tokens": tokens, "tasks": tasks, "url": url}


def _as_app(world: dict[str, Any]) -> psycopg.Connection[Any]:
    return psycopg.connect(_conninfo(world["url"]))


def test_nothing_is_visible_without_authenticating(world: dict[str, Any]) -> None:
    with _as_app(world) as conn:
        assert conn.execute("SELECT count(*) FROM task").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM task_event").fetchone() == (0,)


def test_an_agent_reads_only_its_own_marketplace(world: dict[str, Any]) -> None:
    with _as_app(world) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["amazon"],))
        rows = conn.execute("SELECT id::text, marketplace FROM task").fetchall()
        assert rows == [(world["tasks"]["amazon"], "amazon")]
        events = conn.execute("SELECT DISTINCT task_id::text FROM task_event").fetchall()
        assert events == [(world["tasks"]["amazon"],)]


def test_an_agent_can_only_submit_or_cancel_its_own_proposals(world: dict[str, Any]) -> None:
    with _as_app(world) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["amazon"],))
        other = conn.execute("UPDATE task SET title = 'pwned' WHERE marketplace = 'shopee'")
        assert other.rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE task SET status = 'approved' WHERE marketplace = 'amazon'")


def test_an_agent_cannot_insert_another_marketplaces_task(world: dict[str, Any]) -> None:
    with _as_app(world) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["amazon"],))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO task (id, marketplace, created_by, title, description, category,"
                " status, priority, estimated_hours, created_at, tags, metadata) VALUES"
                " (gen_random_uuid(), 'shopee', 'marketplace-amazon', 't', '', 'analysis',"
                " 'pending', 'low', 1, now(), '[]', '{}')"
            )


def test_events_cannot_be_inserted_as_another_principal(world: dict[str, Any]) -> None:
    with _as_app(world) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["amazon"],))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO task_event (task_id, actor, action, to_status, at, payload)"
                " VALUES (%s, 'root', 'approve', 'approved', now(), '{}')",
                (world["tasks"]["amazon"],),
            )


def test_the_context_cannot_be_forged_with_set_config(world: dict[str, Any]) -> None:
    with _as_app(world) as conn:
        conn.execute("SELECT set_config('mpo.principal', 'root', false)")
        conn.execute("SELECT set_config('mpo.principal', 'root', true)")
        assert conn.execute("SELECT count(*) FROM task").fetchone() == (0,)
        assert conn.execute("SELECT mpo_principal_role()").fetchone() == (None,)


def test_the_session_record_is_out_of_reach(world: dict[str, Any]) -> None:
    with _as_app(world) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("INSERT INTO mpo_session (pid, xid, principal_id)"
                     " SELECT pg_backend_pid(), txid_current(), id FROM principal")


def test_a_wrong_token_authenticates_nobody(world: dict[str, Any]) -> None:
    with _as_app(world) as conn:
        rows = conn.execute("SELECT * FROM mpo_authenticate('mpo_not-a-token')").fetchall()
        assert rows == []
        assert conn.execute("SELECT count(*) FROM task").fetchone() == (0,)


def test_the_context_lasts_one_transaction(world: dict[str, Any]) -> None:
    with _as_app(world) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["amazon"],))
        assert conn.execute("SELECT count(*) FROM task").fetchone() == (1,)
        conn.commit()
        assert conn.execute("SELECT count(*) FROM task").fetchone() == (0,)


def test_the_app_works_as_the_non_superuser_role(runner: MpoRunner, world: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPO_DATABASE_URL", world["url"])
    amazon = {"MPO_TOKEN": world["tokens"]["amazon"]}
    listed = runner.json("list", env=amazon)
    assert [t["marketplace"] for t in listed] == ["amazon"]
    created = runner.json("create", "--title", "via rls", "--category", "scaling",
                          "--estimated-hours", "1", env=amazon)
    assert created["created_by"] == "marketplace-amazon"
    hidden = runner("show", world["tasks"]["shopee"], env=amazon)
    assert hidden.exit_code == 3, hidden.stderr
    # The admin (keyring credential from `mpo init`) runs the lifecycle through RLS too.
    assert len(runner.json("submit", "--all")) == 3
    approved = runner.json("approve", "--all", "--note", "ok")
    assert {r["to_status"] for r in approved} == {"approved"}
    assert runner.json("assign", created["id"], "--to", "ana")[0]["to_status"] == "in_progress"
    log = runner.json("log", "--task", created["id"])
    assert [e["action"] for e in log] == ["create", "submit", "approve", "assign"]
    assert json.loads(runner("principal", "list", "--json").stdout)[0]["name"]

"""Managed PostgreSQL (issue 25): the database's owner is neither superuser nor CREATEROLE,
a DBA made the group roles beforehand (docs/postgresql.md), and no superuser is used
anywhere after that: migrations, every command (`mpo import` as the owner), the app's
logins, and a BI login that reads the views and nothing else."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine

from mpo.core.domain.errors import ExitCode, PermissionDenied
from mpo.store import bi_views, group_roles
from mpo.store.migrations import HEAD
from tests.bi_world import bi_revision, upgrade_to
from tests.conftest import GROUP_ROLES, MpoRunner, _admin_connect, _server_url, _with_database
from tests.pg_app import conninfo

pytestmark = pytest.mark.postgres

POSTGRESQL_DOC = (Path(__file__).parents[2] / "docs" / "postgresql.md").read_text()


@dataclass(frozen=True)
class Managed:
    """URLs of a database owned by `owner` (and of a second one, to import into), for
    the owner, an mpo_app login and an mpo_bi login."""

    owner: str
    target: str
    app: str
    bi: str


def _as(url: str, role: str) -> str:
    user = url.split("://", 1)[1].split("@", 1)[0]
    return url.replace(f"{user}@", f"{role}@", 1)


@pytest.fixture(scope="module")
def managed() -> Iterator[Managed]:
    """As a DBA (the test server's superuser): the group roles if missing, an owner role
    with neither superuser nor CREATEROLE, its two databases, an app and a BI login."""
    server = _server_url()
    tag = uuid.uuid4().hex[:8]
    owner, app, bi = (f"mpo_test_{kind}_{tag}" for kind in ("owner", "app", "bi"))
    names = [f"mpo_test_managed_{tag}", f"mpo_test_managed_{tag}_target"]
    with _admin_connect(server) as conn:
        for role in GROUP_ROLES:
            conn.execute(f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
                         "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        conn.execute(f'CREATE ROLE "{owner}" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB')
        conn.execute(f'CREATE ROLE "{app}" LOGIN IN ROLE mpo_app')
        conn.execute(f'CREATE ROLE "{bi}" LOGIN IN ROLE mpo_bi')
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
    main, target = (_as(_with_database(server, n), owner) for n in names)
    try:
        yield Managed(main, target, _as(main, app), _as(main, bi))
    finally:
        with _admin_connect(server) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for role in (app, bi, owner):
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_a_missing_group_role_is_refused_with_the_dbas_statement(managed: Managed) -> None:
    engine = create_engine(managed.owner)
    missing = f"mpo_test_missing_{uuid.uuid4().hex[:8]}"
    with engine.connect() as connection, pytest.raises(PermissionDenied) as refused:
        group_roles.ensure(connection, missing)
    engine.dispose()
    message = str(refused.value)
    assert f"`CREATE ROLE {missing} NOLOGIN;`" in message
    assert "may not create roles" in message and "docs/postgresql.md#managed-" in message
    for role in GROUP_ROLES:  # the page gives the DBA exactly that statement
        assert f"CREATE ROLE {role} NOLOGIN;" in POSTGRESQL_DOC


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return result


def test_every_command_runs_as_an_owner_without_superuser_or_createrole(
        managed: Managed, runner: MpoRunner, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    # A database from before the views, with views of an older mpo already there:
    # `mpo db upgrade` (the owner's) remakes them and grants them to mpo_bi.
    _bi, before = bi_revision()
    upgrade_to(managed.owner, before)
    engine = create_engine(managed.owner)
    with engine.begin() as connection:
        bi_views.create(connection)
    engine.dispose()
    monkeypatch.setenv("MPO_DATABASE_URL", managed.owner)
    assert f"revision\t{HEAD}" in ok(runner("db", "upgrade")).stdout
    ok(runner("init", "--admin", "root"))
    ok(runner("db", "upgrade"))
    agent = runner.json("principal", "add", "marketplace-amazon", "--role", "agent",
                        "--marketplace", "amazon")["token"]
    ok(runner("principal", "add", "ana", "--role", "member"))

    def work(title: str) -> str:
        made = runner.json("create", "-m", "amazon", "-t", title, "-c", "optimization",
                           "-e", "4", "--submit", env={"MPO_TOKEN": agent})
        ok(runner("approve", made["id"]))
        ok(runner("assign", made["id"], "--to", "ana"))
        ok(runner("complete", made["id"], "--actual-hours", "3"))
        return str(made["id"])

    first = work("as the owner")
    assert runner.json("stats")["pipeline"]["window"]["completed"] == 1
    exported = tmp_path / "tasks.jsonl"
    ok(runner("export", "-o", str(exported)))

    # The app's login (mpo_app): the same commands, the same token; import is the owner's.
    monkeypatch.setenv("MPO_DATABASE_URL", managed.app)
    second = work("as an app login")
    bulk = tmp_path / "bulk.ndjson"  # enough rows for COPY through a temporary table
    bulk.write_text("".join(json.dumps({
        "marketplace": "amazon", "title": f"bulk {n}", "category": "analysis",
        "estimated_hours": 1}) + "\n" for n in range(70)))
    ok(runner("create", "--from", str(bulk), "--json", env={"MPO_TOKEN": agent}))
    window = runner.json("stats")["pipeline"]["window"]
    assert (window["created"], window["completed"]) == (72, 2)
    assert {first, second} <= {t["id"] for t in runner.json("list", "--limit", "100")}
    ok(runner("export", "-o", str(tmp_path / "again.jsonl")))
    refused = runner("import", str(exported))
    assert refused.exit_code == ExitCode.AUTH, refused.stderr

    # Import into another database of the same owner.
    monkeypatch.setenv("MPO_DATABASE_URL", managed.target)
    ok(runner("init", "--admin", "root"))
    ok(runner("principal", "add", "marketplace-amazon", "--role", "agent",
              "--marketplace", "amazon"))
    ok(runner("principal", "add", "ana", "--role", "member"))
    assert "imported 1 tasks" in ok(runner("import", str(exported))).stderr
    shown = runner.json("show", first)
    assert shown["status"] == "completed" and shown["title"] == "as the owner"
    assert [json.loads(line)["id"] for line in exported.read_text().splitlines()] == [first]

    _bi_login_reads_the_views_only(managed, {first, second})
    _app_login_sees_no_view_and_no_task_unauthenticated(managed)


def _bi_login_reads_the_views_only(managed: Managed, ids: set[str]) -> None:
    with psycopg.connect(conninfo(managed.bi), autocommit=True) as conn:
        found = {r[0] for r in conn.execute("SELECT id FROM bi_tasks")}
        assert len(found) == 72 and ids <= found
        assert conn.execute("SELECT sum(completed) FROM bi_daily").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM bi_events").fetchone()[0] >= 10
        for sql in ("SELECT count(*) FROM task", "SELECT count(*) FROM task_event",
                    "SELECT count(*) FROM principal", "SELECT count(*) FROM mpo_session",
                    "UPDATE bi_tasks SET title = 'x'", "DELETE FROM bi_events",
                    "SELECT mpo_authenticate('x')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)


def _app_login_sees_no_view_and_no_task_unauthenticated(managed: Managed) -> None:
    """The views' read policies do not widen what an mpo_app login sees."""
    with psycopg.connect(conninfo(managed.app), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM task").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM task_event").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM bi_tasks")

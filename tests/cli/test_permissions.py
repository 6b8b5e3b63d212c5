"""The permission matrix, through the CLI: every role by every verb, allowed and denied.

Each principal acts with its own token (MPO_TOKEN); a denied call exits 4, changes nothing,
and leaves a record in access_denial. It runs on SQLite, and on PostgreSQL connected as a
login in `mpo_app`, where row-level security and the write guards apply (issue 10).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases import identity
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.transitions import transition
from mpo.store import bulk as bulk_sql
from mpo.store.database import SqlDatabase
from mpo.store.engine import make_engine
from tests.conftest import MpoRunner
from tests.migrated import upgrade
from tests.pg_app import app_login, conninfo, module_database
from tests.team import add_members

ROLES = ("agent", "master", "admin", "member", "viewer")
PRINCIPALS = {
    "agent": ("marketplace-amazon", "--marketplace", "amazon"),
    "master": ("marketplace-master",),
    "member": ("ana",),
    "viewer": ("vera",),
}
# verb -> (state the task must be in, extra arguments, roles allowed)
VERBS: dict[str, tuple[str | None, tuple[str, ...], set[str]]] = {
    "submit": ("pending", (), {"agent", "master", "admin"}),
    "cancel": ("pending", ("--reason-code", "obsolete"), {"agent", "admin"}),
    "approve": ("awaiting_approval", (), {"admin"}),
    "reject": ("awaiting_approval", ("--reason-code", "duplicate"), {"admin"}),
    "assign": ("approved", ("--to", "ana"), {"admin"}),
    "start": ("approved", (), {"admin", "member"}),
    "complete": ("in_progress", ("--actual-hours", "1"), {"admin", "member"}),
    "show": ("pending", (), set(ROLES)),
}
PATH_TO = {
    "pending": [],
    "awaiting_approval": [("submit",)],
    "approved": [("submit",), ("approve",)],
    "in_progress": [("submit",), ("approve",), ("assign", "--to", "ana")],
}


ROOT = Actor("root", Role.ADMIN)
AMAZON = Actor("marketplace-amazon", Role.AGENT, "amazon")
RULES = Rules()


def _principals(url: str) -> dict[str, str]:
    """The first admin (root), one principal per role, and the shopee agent: their tokens."""
    db, rules = SqlDatabase(url), Rules()
    tokens = {"admin": identity.bootstrap_admin(db, "root") or ""}
    root = Actor("root", Role.ADMIN)
    for role, (name, *extra) in [*PRINCIPALS.items(),
                                 ("shopee", ("marketplace-shopee", "--marketplace", "shopee"))]:
        kind = "agent" if role == "shopee" else role
        tokens[role] = identity.add_principal(db, root, name, kind, (extra or [None])[-1],
                                              rules).token
    return tokens


@pytest.fixture(scope="module")
def postgres_world() -> Iterator[dict[str, Any]]:
    """One PostgreSQL database for the module, used through a login in mpo_app."""
    with module_database() as url:
        upgrade(url)
        tokens = _principals(url)
        add_members(url)
        engine = make_engine(url)
        with app_login(url) as app_url:
            yield {"url": url, "app_url": app_url, "tokens": tokens, "engine": engine}
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Principals of every role; the admin's token is the default credential (MPO_TOKEN)."""
    if request.param == "sqlite":
        db = tmp_path / "mpo.db"
        url = f"sqlite:///{db}"
        upgrade(url)
        found: dict[str, Any] = {"url": url, "app_url": url, "tokens": _principals(url),
                                 "engine": make_engine(url)}
        add_members(url)
    else:
        found = request.getfixturevalue("postgres_world")
    monkeypatch.setenv("MPO_DATABASE_URL", found["app_url"])
    monkeypatch.setenv("MPO_TOKEN", found["tokens"]["admin"])
    return found


def as_role(world: dict[str, Any], role: str) -> dict[str, str]:
    return {"MPO_TOKEN": world["tokens"][role]}


def task_in(runner: MpoRunner, state: str, world: dict[str, Any]) -> str:
    """A new amazon task (proposed by the amazon agent), moved to `state` by the admin.

    Made through the core as the owner, to keep the matrix fast: the verb under test is
    what goes through the command line and the app role."""
    db = SqlDatabase(world["url"], engine=world["engine"])
    draft = {"marketplace": "amazon", "title": f"in {state}", "category": "analysis",
             "estimated_hours": 2}
    task = create_tasks(db, AMAZON, [("t", draft)], RULES).tasks[0].task
    for action, *extra in PATH_TO[state]:
        params = TransitionParams(assignee=extra[-1] if extra else None)
        transition(db, ROOT, Action(action), Selection(refs=(str(task.id),)),
                                params, RULES)
    return str(task.id)


def rows(world: dict[str, Any], sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read back as the owner, on a connection of its own."""
    if world["url"].startswith("sqlite"):
        with sqlite3.connect(world["url"].removeprefix("sqlite:///")) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
    with psycopg.connect(conninfo(world["url"])) as conn:
        return conn.execute(sql, params).fetchall()


def denials(world: dict[str, Any]) -> list[tuple[str | None, str]]:
    return rows(world, "SELECT principal, verb FROM access_denial ORDER BY id")  # type: ignore[return-value]


def status_of(world: dict[str, Any], task_id: str) -> str:
    key = task_id.replace("-", "") if world["url"].startswith("sqlite") else task_id
    return str(rows(world, "SELECT status FROM task WHERE id = %s", key)[0][0])


def fresh_viewer(runner: MpoRunner) -> tuple[str, str]:
    """A new viewer (name, token), for tests that rotate or revoke one."""
    name = f"vera-{uuid.uuid4().hex[:6]}"
    return name, str(runner.json("principal", "add", name, "--role", "viewer")["token"])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("verb", list(VERBS))
def test_lifecycle_and_show_verbs(runner: MpoRunner, world: dict[str, Any], role: str,
                                  verb: str) -> None:
    state, extra, allowed = VERBS[verb]
    assert state is not None
    task_id = task_in(runner, state, world)
    result = runner(verb, task_id, *extra, env=as_role(world, role))
    if role in allowed:
        assert result.exit_code == 0, result.stderr
    else:
        assert result.exit_code == 4, result.stderr
        assert status_of(world, task_id) == state
        assert len(result.stderr.strip().splitlines()) == 1
        assert denials(world)[-1][1] == verb


@pytest.mark.parametrize("role", ROLES)
def test_create(runner: MpoRunner, world: dict[str, Any], role: str) -> None:
    result = runner("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1",
                    env=as_role(world, role))
    assert result.exit_code == (0 if role in ("agent", "master", "admin") else 4), result.stderr


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("verb", ["list", "log"])
def test_reads(runner: MpoRunner, world: dict[str, Any], role: str, verb: str) -> None:
    task_in(runner, "pending", world)
    allowed = set(ROLES) if verb == "list" else {"admin", "viewer"}
    result = runner(verb, env=as_role(world, role))
    assert result.exit_code == (0 if role in allowed else 4), result.stderr


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("verb", [("list",), ("add", "{new}", "--role", "viewer"),
                                  ("rotate", "{viewer}"), ("revoke", "{viewer}")])
def test_principal_management(runner: MpoRunner, world: dict[str, Any], role: str,
                              verb: tuple[str, ...]) -> None:
    viewer, token = fresh_viewer(runner)
    args = [a.format(new=f"newbie-{uuid.uuid4().hex[:6]}", viewer=viewer) for a in verb]
    actor = {"MPO_TOKEN": token} if role == "viewer" else as_role(world, role)
    result = runner("principal", *args, env=actor)
    own_rotation = verb[0] == "rotate" and role == "viewer"
    expected = 0 if role == "admin" or own_rotation else 4
    assert result.exit_code == expected, result.stderr


def test_an_agent_creates_only_for_its_marketplace(runner: MpoRunner,
                                                   world: dict[str, Any]) -> None:
    agent = as_role(world, "agent")
    other = runner("create", "-m", "shopee", "-t", "t", "-c", "analysis", "-e", "1", env=agent)
    assert other.exit_code == 4
    assert "amazon" in other.stderr
    lying = runner("create", "-t", "t", "-c", "analysis", "-e", "1", "--created-by",
                   "marketplace-shopee", env=agent)
    assert lying.exit_code == 4
    own = runner.json("create", "-t", "t", "-c", "analysis", "-e", "1", env=agent)
    assert (own["marketplace"], own["created_by"]) == ("amazon", "marketplace-amazon")


def test_the_master_creates_for_a_named_agent_and_it_is_recorded(
        runner: MpoRunner, world: dict[str, Any]) -> None:
    master = as_role(world, "master")
    task = runner.json("create", "-m", "shopee", "-t", "flash sale", "-c", "scaling", "-e",
                       "3", "--created-by", "marketplace-shopee", env=master)
    assert (task["created_by"], task["recorded_by"]) == ("marketplace-shopee",
                                                         "marketplace-master")
    event = runner.json("log", "--task", task["id"])[0]
    assert event["actor"] == "marketplace-master"
    assert event["payload"] == {"on_behalf_of": "marketplace-shopee"}


def test_nobody_approves_their_own_task(runner: MpoRunner, world: dict[str, Any]) -> None:
    own = runner.json("create", "-m", "amazon", "-t", "mine", "-c", "analysis", "-e", "1")
    runner.json("submit", own["id"])
    result = runner("approve", own["id"])
    assert result.exit_code == 4
    assert "own task" in result.stderr
    assert status_of(world, str(own["id"])) == "awaiting_approval"


def test_a_member_finishes_only_their_own_tasks(runner: MpoRunner,
                                               world: dict[str, Any]) -> None:
    task_id = task_in(runner, "approved", world)
    runner.json("assign", task_id, "--to", "bob")
    result = runner("complete", task_id, "--actual-hours", "2", env=as_role(world, "member"))
    assert result.exit_code == 4
    assert "assigned to bob" in result.stderr


def test_a_member_claims_an_unassigned_task_by_starting_it(runner: MpoRunner,
                                                          world: dict[str, Any]) -> None:
    task_id = task_in(runner, "approved", world)
    member = as_role(world, "member")
    assert runner.json("start", task_id, env=member)[0]["to_status"] == "in_progress"
    assert runner.json("show", task_id)["assigned_to"] == "ana"
    assert runner.json("complete", task_id, "--actual-hours", "1",
                       env=member)[0]["to_status"] == "completed"


def test_an_agent_sees_only_its_marketplace(runner: MpoRunner, world: dict[str, Any]) -> None:
    amazon = task_in(runner, "pending", world)
    shopee = runner.json("create", "-m", "shopee", "-t", "s", "-c", "analysis", "-e", "1",
                         "--created-by", "marketplace-shopee")
    agent = as_role(world, "agent")
    listed = runner.json("list", env=agent)
    assert amazon in [t["id"] for t in listed]
    assert {t["marketplace"] for t in listed} == {"amazon"}
    assert runner("show", shopee["id"], env=agent).exit_code == 3
    assert runner("list", "--marketplace", "shopee", env=agent).exit_code == 4


def test_a_mixed_batch_with_a_refused_task_changes_nothing(runner: MpoRunner,
                                                          world: dict[str, Any]) -> None:
    mine = runner.json("create", "-m", "amazon", "-t", "mine", "-c", "analysis", "-e", "1")
    theirs = task_in(runner, "pending", world)
    runner.json("submit", mine["id"], theirs)
    result = runner("approve", mine["id"], theirs)
    assert result.exit_code == 4
    assert status_of(world, theirs) == "awaiting_approval"


@pytest.mark.parametrize("token", ["mpo_wrong", "marketplace-amazon-wrong"])
def test_a_wrong_token_is_refused_and_recorded(runner: MpoRunner, world: dict[str, Any],
                                               token: str) -> None:
    result = runner("list", env={"MPO_TOKEN": token})
    assert result.exit_code == 4
    assert result.stderr == "error: the token is not valid (unknown or revoked)\n"
    assert denials(world)[-1] == (None, "authenticate")


def test_a_revoked_token_stops_working(runner: MpoRunner, world: dict[str, Any]) -> None:
    name, token = fresh_viewer(runner)
    viewer = {"MPO_TOKEN": token}
    assert runner("list", env=viewer).exit_code == 0
    runner.json("principal", "revoke", name)
    assert runner("list", env=viewer).exit_code == 4


def test_without_any_credential_commands_exit_4(runner: MpoRunner, world: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MPO_TOKEN")
    result = runner("--as", "viewer", "list")
    assert result.exit_code == 4
    assert "mpo auth login --role viewer --with-token" in result.stderr


def test_an_admin_cannot_approve_what_it_created_for_an_agent(
        runner: MpoRunner, world: dict[str, Any]) -> None:
    task = runner.json("create", "-m", "amazon", "-t", "mine really", "-c", "analysis",
                       "-e", "1", "--created-by", "marketplace-amazon")
    runner.json("submit", task["id"])
    result = runner("approve", task["id"])
    assert result.exit_code == 4, result.stderr
    assert "own task" in result.stderr
    assert status_of(world, str(task["id"])) == "awaiting_approval"
    assert denials(world)[-1] == ("root", "approve")


@pytest.mark.parametrize(("name", "hint"), [("marketplace-amazn", "marketplace-amazon"),
                                            ("vera", None), ("nobody-at-all", None)])
def test_created_by_names_an_active_agent_or_master(
        runner: MpoRunner, world: dict[str, Any], name: str, hint: str | None) -> None:
    result = runner("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1",
                    "--created-by", name)
    assert result.exit_code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"no active agent or master named {name}" in result.stderr
    assert hint is None or hint in result.stderr


def test_a_key_used_in_another_marketplace_is_a_conflict_that_names_no_task(
        runner: MpoRunner, world: dict[str, Any]) -> None:
    key = f"k-{uuid.uuid4().hex[:8]}"
    theirs = runner.json("create", "-t", "t", "-c", "analysis", "-e", "1",
                         "--idempotency-key", key, env=as_role(world, "shopee"))
    result = runner("create", "-t", "t", "-c", "analysis", "-e", "1", "--idempotency-key", key,
                    env=as_role(world, "agent"))
    assert result.exit_code == 5, result.stderr
    assert "already used by another task" in result.stderr
    assert str(theirs["id"]) not in result.stderr and "concurrently" not in result.stderr


def test_a_bulk_create_goes_through_the_app_role(
    runner: MpoRunner, world: dict[str, Any], tmp_path: Path
) -> None:
    """A batch large enough to be staged (a temporary table, COPY on PostgreSQL, where COPY
    into a table under row-level security is refused) is stored as the app's login, with
    its policies and guards; the rows read back."""
    count = bulk_sql.STAGE_AT_LEAST + 6
    lines = tmp_path / "many.ndjson"
    lines.write_text("".join(json.dumps({
        "marketplace": "amazon", "title": f"bulk {n}", "category": "analysis",
        "estimated_hours": 1}) + "\n" for n in range(count)))
    before = rows(world, "SELECT count(*) FROM task")[0][0]
    result = runner("create", "--from", str(lines), "--json", env=as_role(world, "agent"))
    assert result.exit_code == 0, result.stderr
    assert rows(world, "SELECT count(*) FROM task")[0][0] == before + count
    assert rows(world, "SELECT count(*) FROM task_event WHERE action = 'create' AND "
                "actor = 'marketplace-amazon'")[0][0] >= count

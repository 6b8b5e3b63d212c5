"""The permission matrix, through the CLI: every role by every verb, allowed and denied.

Each principal acts with its own token (MPO_TOKEN); a denied call exits 4, changes nothing,
and leaves a record in access_denial.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MpoRunner
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
    "submit": ("pending", (), {"master", "admin"}),
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


@pytest.fixture
def world(runner: MpoRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    db = tmp_path / "mpo.db"
    monkeypatch.setenv("MPO_DATABASE_URL", str(db))
    assert runner("init", "--admin", "root").exit_code == 0
    tokens = {"admin": None}
    for role, (name, *extra) in PRINCIPALS.items():
        tokens[role] = runner.json("principal", "add", name, "--role", role, *extra)["token"]
    add_members(f"sqlite:///{db}")
    return {"db": db, "tokens": tokens}


def as_role(world: dict[str, Any], role: str) -> dict[str, str] | None:
    token = world["tokens"][role]
    return None if token is None else {"MPO_TOKEN": token}


def task_in(runner: MpoRunner, state: str) -> str:
    """A new amazon task (created for the amazon agent by the admin), moved to `state`."""
    task = runner.json("create", "-m", "amazon", "-t", f"in {state}", "-c", "analysis",
                       "-e", "2", "--created-by", "marketplace-amazon")
    for step in PATH_TO[state]:
        runner.json(step[0], task["id"], *step[1:])
    return str(task["id"])


def denials(world: dict[str, Any]) -> list[tuple[str | None, str]]:
    with sqlite3.connect(world["db"]) as conn:
        return conn.execute("SELECT principal, verb FROM access_denial ORDER BY id").fetchall()


def status_of(world: dict[str, Any], task_id: str) -> str:
    with sqlite3.connect(world["db"]) as conn:
        row = conn.execute("SELECT status FROM task WHERE id = ?",
                           (task_id.replace("-", ""),)).fetchone()
    return str(row[0])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("verb", list(VERBS))
def test_lifecycle_and_show_verbs(runner: MpoRunner, world: dict[str, Any], role: str,
                                  verb: str) -> None:
    state, extra, allowed = VERBS[verb]
    assert state is not None
    task_id = task_in(runner, state)
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
    task_in(runner, "pending")
    allowed = set(ROLES) if verb == "list" else {"admin", "viewer"}
    result = runner(verb, env=as_role(world, role))
    assert result.exit_code == (0 if role in allowed else 4), result.stderr


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("verb", [("list",), ("add", "newbie", "--role", "viewer"),
                                  ("rotate", "vera"), ("revoke", "vera")])
def test_principal_management(runner: MpoRunner, world: dict[str, Any], role: str,
                              verb: tuple[str, ...]) -> None:
    result = runner("principal", *verb, env=as_role(world, role))
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
    assert task["created_by"] == "marketplace-shopee"
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
    task_id = task_in(runner, "approved")
    runner.json("assign", task_id, "--to", "bob")
    result = runner("complete", task_id, "--actual-hours", "2", env=as_role(world, "member"))
    assert result.exit_code == 4
    assert "assigned to bob" in result.stderr


def test_a_member_claims_an_unassigned_task_by_starting_it(runner: MpoRunner,
                                                          world: dict[str, Any]) -> None:
    task_id = task_in(runner, "approved")
    member = as_role(world, "member")
    assert runner.json("start", task_id, env=member)[0]["to_status"] == "in_progress"
    assert runner.json("show", task_id)["assigned_to"] == "ana"
    assert runner.json("complete", task_id, "--actual-hours", "1",
                       env=member)[0]["to_status"] == "completed"


def test_an_agent_sees_only_its_marketplace(runner: MpoRunner, world: dict[str, Any]) -> None:
    amazon = task_in(runner, "pending")
    shopee = runner.json("create", "-m", "shopee", "-t", "s", "-c", "analysis", "-e", "1",
                         "--created-by", "marketplace-shopee")
    agent = as_role(world, "agent")
    assert [t["id"] for t in runner.json("list", env=agent)] == [amazon]
    assert runner("show", shopee["id"], env=agent).exit_code == 3
    assert runner("list", "--marketplace", "shopee", env=agent).exit_code == 4


def test_a_mixed_batch_with_a_refused_task_changes_nothing(runner: MpoRunner,
                                                          world: dict[str, Any]) -> None:
    mine = runner.json("create", "-m", "amazon", "-t", "mine", "-c", "analysis", "-e", "1")
    theirs = task_in(runner, "pending")
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
    viewer = as_role(world, "viewer")
    assert runner("list", env=viewer).exit_code == 0
    runner.json("principal", "revoke", "vera")
    assert runner("list", env=viewer).exit_code == 4


def test_without_any_credential_commands_exit_4(runner: MpoRunner, world: dict[str, Any]) -> None:
    result = runner("--as", "viewer", "list")
    assert result.exit_code == 4
    assert "mpo auth login --role viewer --with-token" in result.stderr

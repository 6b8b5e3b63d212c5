"""Every change carries its event: raw SQL as an `mpo_app` login that changes a task or a
subtask step without writing the matching `task_event` in the same transaction is refused
when it commits (issue 20), so `mpo show` and `mpo log` always have the whole story.

Each attack is a write the guards allow row by row; what is missing is its event (or the
event written is not the one that matches). The refusal comes from the deferred checks of
`mpo.store.audit_guards`, at COMMIT, and nothing stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.conftest import MpoRunner
from tests.store.step_world import attempt, snapshot, step_world
from tests.store.test_attacks import _CANCEL, _insert


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    with step_world() as built:
        yield built


def _move(task: str, sets: str) -> str:
    return f"UPDATE task SET {sets} WHERE id = '{{{task}}}'"


def _step(step: str, sets: str) -> str:
    return f"UPDATE subtask SET {sets} WHERE id = '{{step_{step}}}'"


def _event(task: str, actor: str, action: str, source: str | None, target: str,
           payload: str = "'{{}}'") -> str:
    came = "NULL" if source is None else f"'{source}'"
    return ("INSERT INTO task_event (task_id, actor, action, from_status, to_status, at,"
            f" payload) VALUES ('{{{task}}}', '{actor}', '{action}', {came}, '{target}',"
            f" now(), {payload})")


def _names(step: str, source: str | None, target: str) -> str:
    """The payload of a step event naming `step` (an id, or a placeholder's name)."""
    came = "NULL" if source is None else f"'{source}'"
    named = step if "-" in step else f"{{{step}}}"
    return (f"json_build_object('subtask_id', '{named}', 'from', {came},"
            f" 'to', '{target}')")


AGENT, MASTER, ROOT = "marketplace-amazon", "marketplace-master", "root"
APPROVE = "status = 'approved', approved_by = 'root'"
ASSIGN = "status = 'in_progress', assigned_to = 'bob', assigned_by = 'root'"
A_STEP = "6f1d3c1e-0000-4000-8000-000000000001"


def _new_step(task: str, who: str = MASTER) -> str:
    """A pending step `A_STEP` appended to `task` (a placeholder), as the core adds one."""
    return ("INSERT INTO subtask (id, task_id, position, type, title, status, created_at,"
            f" created_by, updated_at) VALUES ('{A_STEP}', '{{{task}}}', (SELECT"
            f" coalesce(max(position), 0) + 1 FROM subtask WHERE task_id = '{{{task}}}'),"
            f" 'analysis', 'x', 'pending', now(), '{who}', now())")


#: attack -> (attacker, statements separated by ';')
ATTACKS: dict[str, tuple[str, str]] = {
    # the four of the issue: the row changes, no event is written
    "agent submits its own proposal": (
        "agent", _move("pending", "status = 'awaiting_approval'")),
    "agent cancels its own proposal": (
        "agent", _move("pending", f"status = 'cancelled', {_CANCEL}")),
    "member approves a checkpoint": ("member", _step("waiting", "status = 'completed'")),
    "admin approves a proposal": ("admin", _move("awaiting", APPROVE)),
    # the rest of what the guards let an app login write, each without its event
    "agent creates a task": ("agent", _insert()),
    "admin undoes an approval": (
        "admin", _move("approved", "status = 'awaiting_approval', approved_at = NULL,"
                                   " approved_by = NULL")),
    "master adds a step": ("master", _new_step("working")),
    "agent starts a step": ("agent", _step("idle", "status = 'in_progress'")),
    # an event is written, but not the one that matches
    "admin approves and assigns, recording the assignment only": (
        "admin", ";".join([_move("awaiting", APPROVE), _move("awaiting", ASSIGN),
                           _event("awaiting", ROOT, "assign", "approved", "in_progress")])),
    "admin approves, recording a step added to the task instead": (
        "admin", ";".join([_move("awaiting", APPROVE), _new_step("awaiting", ROOT),
                           _event("awaiting", ROOT, "subtask_add", "approved", "approved",
                                  _names(A_STEP, None, "pending"))])),
    "master adds a step, its event naming another step": (
        "master", ";".join([_new_step("working"),
                            _event("working", MASTER, "subtask_add", "approved", "approved",
                                   _names("step_second", None, "pending"))])),
    "agent starts a step, its event recording another move": (
        "agent", ";".join([_step("idle", "status = 'in_progress'"),
                           _event("idle", AGENT, "subtask_fail", "approved", "approved",
                                  _names("step_idle", "pending", "failed"))])),
    "admin re-approves after an undo, leaning on the undone approval's event": (
        "admin", _move("undone", APPROVE)),
    "agent submits, its event rolled back to a savepoint": (
        "agent", ";".join([_move("pending", "status = 'awaiting_approval'"),
                           "SAVEPOINT s",
                           _event("pending", AGENT, "submit", "pending", "awaiting_approval"),
                           "ROLLBACK TO SAVEPOINT s"])),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_change_without_its_event_is_refused_at_commit(world: dict[str, Any],
                                                         attack: str) -> None:
    role, sql = ATTACKS[attack]
    before = snapshot(world)
    outcome = attempt(world, role, sql)
    assert isinstance(outcome, psycopg.errors.InsufficientPrivilege), outcome
    assert "without its event" in str(outcome), outcome
    assert snapshot(world) == before


def test_a_change_with_its_event_commits_even_from_a_savepoint(world: dict[str, Any]) -> None:
    """An event written in a savepoint released since is this transaction's too (a
    subtransaction has an id of its own), whether it comes before or after the change."""
    with psycopg.connect(world["app"]) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["agent"],))
        made = conn.execute(_insert().format() + " RETURNING id").fetchone()
        assert made is not None
        conn.execute("SAVEPOINT a")
        conn.execute(_event("t", AGENT, "create", None, "pending").format(t=made[0]))
        conn.execute("RELEASE SAVEPOINT a")
        conn.execute(_move("t", "status = 'awaiting_approval'").format(t=made[0]))
        conn.execute("SAVEPOINT b")
        conn.execute(_event("t", AGENT, "submit", "pending", "awaiting_approval")
                     .format(t=made[0]))
        conn.execute("RELEASE SAVEPOINT b")
        conn.commit()
    with psycopg.connect(world["app"]) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["agent"],))
        statuses = conn.execute("SELECT to_status FROM task_event WHERE task_id = %s"
                                " ORDER BY id", (made[0],)).fetchall()
        assert statuses == [("pending",), ("awaiting_approval",)]


def test_the_owner_is_exempt(world: dict[str, Any]) -> None:
    """Migrations and `mpo import` connect as the owner: no event is required of them."""
    with psycopg.connect(world["url"].replace("postgresql+psycopg://", "postgresql://")
                         ) as conn:
        conn.execute(_move("x", "title = 'renamed by the owner'").format(
            x=world["tasks"]["completed"]))
        conn.commit()


def test_the_apps_own_writes_as_an_app_login_carry_their_events(
        runner: MpoRunner, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the real app on an `mpo_app` login: create, submit, approve (routing off),
    a step added, started, submitted and approved, cancel and undo; each commits."""
    monkeypatch.setenv("MPO_DATABASE_URL", world["app"].replace(
        "postgresql://", "postgresql+psycopg://", 1))
    as_ = {role: {"MPO_TOKEN": token} for role, token in world["tokens"].items()}
    made = runner.json("create", "--title", "Bundles", "--category", "analysis",
                       "--estimated-hours", "2", env=as_["agent"])["id"]
    assert runner.json("submit", made, env=as_["agent"])[0]["to_status"] == "awaiting_approval"
    assert runner.json("approve", made, env=as_["admin"])[0]["to_status"] == "approved"
    step = runner.json("subtask", "add", made, "--type", "analysis", "--title", "Audit",
                       env=as_["master"])["id"]
    runner.json("subtask", "start", step, env=as_["agent"])
    runner.json("checkpoint", "submit", step, "--data", "{}", env=as_["agent"])
    assert runner.json("checkpoint", "approve", step, env=as_["member"])["status"] == "completed"
    cancelled = runner.json("cancel", made, "--reason-code", "obsolete", env=as_["admin"])
    assert runner.json("undo", cancelled[0]["batch_id"], env=as_["admin"])[0][
        "to_status"] == "approved"
    log = runner.json("log", "--task", made, env=as_["admin"])
    assert [e["action"] for e in log] == [
        "create", "submit", "approve", "subtask_add", "subtask_start", "checkpoint_submit",
        "checkpoint_approve", "cancel", "undo"]

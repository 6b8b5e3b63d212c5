"""Subtask steps are guarded like tasks: raw SQL as an `mpo_app` login, after
`mpo_authenticate`, cannot write a step the core would refuse (issue 20).

Each attack reaches the generated guard `mpo_subtask_guard` (row-level security alone let
every one of them through) and must be refused with its reason, changing nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.store.step_world import attempt, snapshot, step_world


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    with step_world() as built:
        yield built


def _add(task: str, who: str = "marketplace-master", position: str | None = None,
         status: str = "pending", result: str = "NULL", at: str = "now()") -> str:
    """An INSERT of a step of `task` (a placeholder), last unless `position` says."""
    last = position or ("(SELECT coalesce(max(position), 0) + 1 FROM subtask"
                        f" WHERE task_id = '{{{task}}}')")
    return ("INSERT INTO subtask (id, task_id, position, type, title, status, result,"
            " created_at, created_by, updated_at) VALUES (gen_random_uuid(),"
            f" '{{{task}}}', {last}, 'analysis', 'x', '{status}', {result}, {at},"
            f" '{who}', {at})")


def _set(step: str, sets: str) -> str:
    return f"UPDATE subtask SET {sets} WHERE id = '{{step_{step}}}'"


WAITS = "waits for subtask 1"
#: attack -> (attacker, SQL, what the refusal says)
ATTACKS: dict[str, tuple[str, str, str]] = {
    # a new step is born pending, last, in the adder's name, on an open task
    "master inserts a step already completed": (
        "master", _add("working", status="completed"), "a new subtask is pending"),
    "master inserts a step with a result": (
        "master", _add("working", result="'{{}}'"), "a new subtask is pending"),
    "master inserts a step ahead of the others": (
        "master", _add("working", position="0"), "comes last, at position 3"),
    "master inserts a step in root's name": (
        "master", _add("working", who="root"), "may not add subtasks as root"),
    "master adds a step to a completed task": ("master", _add("completed"), "is completed"),
    "agent adds a step": ("agent", _add("working", who="marketplace-amazon"),
                          "may not add subtasks"),
    # steps move only along MOVES, by the roles allowed
    "agent moves a step to awaiting_checkpoint on a task nobody approved": (
        "agent", _set("proposed", "status = 'awaiting_checkpoint'"), "that way"),
    "agent starts a step of a task nobody approved": (
        "agent", _set("proposed", "status = 'in_progress'"), "is pending; its subtasks"),
    "agent starts step 2 while step 1 waits for its checkpoint": (
        "agent", _set("second", "status = 'in_progress'"), WAITS),
    "master starts step 2 while step 1 waits for its checkpoint": (
        "master", _set("second", "status = 'in_progress'"), WAITS),
    "admin completes a pending step, skipping its checkpoint": (
        "admin", _set("second", "status = 'completed'"), "that way"),
    # only the columns a move stamps change
    "member approves a checkpoint and rewrites its result": (
        "member", _set("waiting", "status = 'completed', result = '{{\"skus\": 9}}'"),
        "that way"),
    "agent starts a step and rewrites its creator": (
        "agent", _set("idle", "status = 'in_progress', created_by = 'x'"), "that way"),
    "agent fails a step and retitles it": (
        "agent", _set("idle", "status = 'failed', title = 'x'"), "that way"),
    "admin retitles a step": ("admin", _set("second", "title = 'pwned'"), "that way"),
    "admin moves a step ahead of the one waiting": (
        "admin", _set("second", "position = 0"), "that way"),
    "admin rewrites a step's creator": ("admin", _set("second", "created_by = 'x'"),
                                        "that way"),
    "admin moves a pending step to another task": (
        "admin", _set("second", "task_id = '{idle}'"), "that way"),
    "admin moves every pending step of a task to another": (
        "admin", "UPDATE subtask SET task_id = '{idle}', position = position + 10"
                 " WHERE task_id = '{working}' AND status = 'pending'", "that way"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_the_step_attack_is_refused_with_its_reason(world: dict[str, Any],
                                                    attack: str) -> None:
    role, sql, reason = ATTACKS[attack]
    before = snapshot(world)
    outcome = attempt(world, role, sql)
    assert isinstance(outcome, psycopg.errors.InsufficientPrivilege), outcome
    assert reason in str(outcome), outcome
    assert str(outcome).startswith("mpo: "), outcome  # the guard's, not a policy's
    assert snapshot(world) == before


def _step_event(task: str, step: str, actor: str, action: str, source: str | None,
                target: str, parent: str) -> str:
    came = "NULL" if source is None else f"'{source}'"
    return ("INSERT INTO task_event (task_id, actor, action, from_status, to_status, at,"
            f" payload) VALUES ('{task}', '{actor}', '{action}', '{parent}', '{parent}',"
            f" now(), json_build_object('subtask_id', '{step}', 'from', {came}, 'to',"
            f" '{target}'))")


def test_the_rightful_steps_through_raw_sql_still_work(world: dict[str, Any]) -> None:
    """What the core writes passes the guard: the master appends a pending step in its own
    name, the agent starts the first pending one; the clock is the database's."""
    task, step = world["tasks"]["idle"], world["steps"]["idle"]
    with psycopg.connect(world["app"]) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["master"],))
        added = conn.execute(
            _add("idle", at="'2000-01-01'").format(**world["tasks"])
            + " RETURNING id, position, created_at = now(), updated_at = now()").fetchone()
        assert added is not None and added[1:] == (2, True, True)
        conn.execute(_step_event(task, str(added[0]), "marketplace-master", "subtask_add",
                                 None, "pending", "approved"))
        conn.rollback()
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["agent"],))
        started = conn.execute(
            "UPDATE subtask SET status = 'in_progress', updated_at = '2000-01-01'"
            " WHERE id = %s RETURNING updated_at = now()", (step,)).fetchone()
        assert started == (True,)
        conn.execute(_step_event(task, step, "marketplace-amazon", "subtask_start",
                                 "pending", "in_progress", "approved"))
        conn.rollback()

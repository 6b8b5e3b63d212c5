"""The database's copies of the subtask rules and of the event-matching rules stay the
core's: generated from `MOVES`, `stamps()` and the permission table, installed (0012), and
read back."""

from __future__ import annotations

import re

import psycopg
import pytest

from mpo.core.domain.permissions import PERMISSIONS, Role, Verb
from mpo.core.usecases.subtasks import MOVES, Step
from mpo.store import audit_guards, subtask_guards
from tests.migrated import upgrade
from tests.pg_app import conninfo

ADD_A_MIGRATION = (
    "core.subtasks (MOVES, stamps), the permission table or a guard generator changed since "
    "a migration last installed the subtask guard or the event checks: add an Alembic "
    "revision that freezes the new mpo.store.subtask_guards.rules() (or audit_guards.rules())"
    " and executes its statements(), as 0012_subtask_and_audit_guards does.")


def test_every_step_is_in_the_rules_with_the_roles_allowed_to_take_it() -> None:
    rules = subtask_guards.rules()["moves"]
    assert set(rules) == {step.value for step in MOVES}
    for step, move in MOVES.items():
        allowed = {r.value for r, verbs in PERMISSIONS.items() if move.verb in verbs}
        assert set(rules[step.value]["roles"]) == allowed
        assert rules[step.value]["target"] == move.target.value
    assert set(subtask_guards.rules()["add"]["roles"]) == {
        r.value for r, verbs in PERMISSIONS.items() if Verb.PLAN in verbs}


def test_step_stamps_are_classified_from_the_core_itself() -> None:
    assert subtask_guards.stamp_kinds(Step.SUBMIT) == {
        "result": subtask_guards.GIVEN, "updated_at": subtask_guards.NOW}
    assert subtask_guards.stamp_kinds(Step.REJECT)["result"] == subtask_guards.CLEARED
    assert subtask_guards.stamp_kinds(Step.START) == {"updated_at": subtask_guards.NOW}


def _bodies(statements: list[str]) -> dict[str, str]:
    found = {}
    for sql in statements:
        head = re.match(r"CREATE OR REPLACE FUNCTION (\w+)\(", sql)
        if head:
            found[head.group(1)] = sql.split("$$", 2)[1]
    return found


def test_the_installed_guards_are_the_ones_the_core_generates(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(pg_url)
    with psycopg.connect(conninfo(pg_url)) as conn:
        row = conn.execute("SELECT mpo_subtask_guard_rules(), mpo_audit_guard_rules(),"
                           " current_schema()").fetchone()
        assert row is not None
        steps, audit, schema = row
        generated = {**_bodies(subtask_guards.statements(subtask_guards.rules(), schema)),
                     **_bodies(audit_guards.statements(audit_guards.rules(), schema))}
        sources: dict[str, str] = dict(conn.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)",
            (list(generated),)).fetchall())
        deferred = conn.execute(
            "SELECT tgname, tgdeferrable AND tginitdeferred FROM pg_trigger"
            " WHERE tgname IN ('task_evented', 'subtask_evented') ORDER BY 1").fetchall()
    assert steps == subtask_guards.rules(), ADD_A_MIGRATION
    assert audit == audit_guards.rules(), ADD_A_MIGRATION
    assert sources == generated, ADD_A_MIGRATION
    assert deferred == [("subtask_evented", True), ("task_evented", True)]

    # ... and the comparison notices a change to the core's tables.
    granted = {**PERMISSIONS, Role.VIEWER: PERMISSIONS[Role.VIEWER] | {Verb.REVIEW}}
    monkeypatch.setattr(subtask_guards, "PERMISSIONS", granted)
    assert steps != subtask_guards.rules()
    shorter = {s: m for s, m in MOVES.items() if s is not Step.FAIL}
    monkeypatch.setattr(audit_guards, "MOVES", shorter)
    assert audit != audit_guards.rules()

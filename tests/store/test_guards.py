"""The database's copy of the write rules stays the core's: generated, installed, read back."""

from __future__ import annotations

import re

import psycopg
import pytest

from mpo.core.domain.lifecycle import TRANSITIONS
from mpo.core.domain.permissions import PERMISSIONS, Role, Verb
from mpo.store import context_sql, create_batch, guards
from tests.migrated import upgrade
from tests.pg_app import conninfo

ADD_A_MIGRATION = (
    "The lifecycle or permission tables (or the guard generator) changed since a migration "
    "last installed the database guards: add an Alembic revision that freezes the new "
    "mpo.store.guards.rules() and executes guards.statements() (as 0005_write_guards does).")
TRANSITIONS_BY = {a.value: a for a in TRANSITIONS}


def test_every_transition_is_in_the_rules_with_the_roles_allowed_to_take_it() -> None:
    rules = guards.rules()["transitions"]
    assert set(rules) == {a.value for a in TRANSITIONS}
    for action, rule in rules.items():
        verb = Verb(TRANSITIONS[TRANSITIONS_BY[action]].verb)
        allowed = {r.value for r, verbs in PERMISSIONS.items() if verb in verbs}
        assert set(rule["roles"]) == allowed
        assert rule["target"] == TRANSITIONS[TRANSITIONS_BY[action]].target


def test_stamps_are_classified_from_the_lifecycle_itself() -> None:
    assert guards.stamp_kinds(TRANSITIONS_BY["approve"]) == {
        "approved_at": guards.NOW, "approved_by": guards.ACTOR}
    assert guards.stamp_kinds(TRANSITIONS_BY["start"])["assigned_to"] == guards.KEPT_OR_ACTOR
    assert guards.stamp_kinds(TRANSITIONS_BY["assign"])["assigned_to"] == guards.GIVEN


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
        installed = conn.execute("SELECT mpo_guard_rules()").fetchone()
        schema = conn.execute("SELECT current_schema()").fetchone()
        sources = dict(conn.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)",
            (list(_bodies(guards.statements(guards.rules(), "s"))),)).fetchall())
    assert installed is not None and schema is not None
    assert installed[0] == guards.rules(), ADD_A_MIGRATION
    assert sources == _bodies(guards.statements(guards.rules(), schema[0])), ADD_A_MIGRATION

    # ... and the comparison notices a change to the core's tables.
    granted = {**PERMISSIONS, Role.MEMBER: PERMISSIONS[Role.MEMBER] | {Verb.APPROVE}}
    monkeypatch.setattr(guards, "PERMISSIONS", granted)
    assert installed[0] != guards.rules()


def test_the_installed_batch_create_is_the_one_the_core_generates(pg_url: str) -> None:
    """`mpo_create_batch` checks a bulk create with the same create rules (issue 26): a
    migration installing new rules installs it again (`create_batch.statements`)."""
    upgrade(pg_url)
    with psycopg.connect(conninfo(pg_url)) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()
        source = conn.execute(
            "SELECT prosrc FROM pg_proc WHERE proname = 'mpo_create_batch'").fetchone()
    assert schema is not None and source is not None
    assert {"mpo_create_batch": source[0]} == _bodies(
        create_batch.statements(guards.rules(), schema[0])), ADD_A_MIGRATION


def test_who_is_acting_is_asked_in_plpgsql_as_the_core_writes_it(pg_url: str) -> None:
    """The look-ups policies and guards call many times a statement keep their plan for the
    session (issue 26, migration 0027); a fresh database has the core's text of them."""
    upgrade(pg_url)
    wanted = _bodies([*context_sql.COLUMNS, context_sql.MARKETS])
    with psycopg.connect(conninfo(pg_url)) as conn:
        found = {name: (language, source) for name, language, source in conn.execute(
            "SELECT p.proname, l.lanname, p.prosrc FROM pg_proc p"
            " JOIN pg_language l ON l.oid = p.prolang WHERE p.proname = ANY(%s)",
            (list(wanted),)).fetchall()}
    assert found == {name: ("plpgsql", body) for name, body in wanted.items()}

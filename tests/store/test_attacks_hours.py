"""Hours from a raw write (issue 22, finding 17): NaN, Infinity, zero and negative hours are
refused by PostgreSQL itself, as an `mpo_app` login and as the owner, so `stats --json` and
an export's re-import never meet them. Migration 0015's CHECK constraints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from tests.pg_app import conninfo
from tests.store.step_world import attempt, snapshot, step_world
from tests.store.test_attacks import ROOT

pytestmark = pytest.mark.postgres

BAD = ["'NaN'", "'Infinity'", "-5", "0", "1001"]
COLUMNS = ["estimated_hours", "actual_hours"]


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    with step_world() as built:
        params = TransitionParams(assignee="ana")
        transition(SqlDatabase(built["url"]), ROOT, Action.ASSIGN,
                   Selection(refs=(built["tasks"]["approved"],)), params, Rules())
        yield built


#: What the guards allow row by row, carrying the hours: an agent's new task, an admin
#: member completing the task assigned to her.
WRITES = {
    "estimated_hours": ("agent", (
        "INSERT INTO task (id, marketplace, created_by, title, description, category, status,"
        " priority, estimated_hours, created_at, tags, metadata) VALUES (gen_random_uuid(),"
        " 'amazon', 'marketplace-amazon', 't', '', 'analysis', 'pending', 'low', {value},"
        " now(), '[]', '{{}}')")),
    "actual_hours": ("member", (
        "UPDATE task SET status = 'completed', completed_by = 'ana', actual_hours = {value}"
        " WHERE id = '{approved}'")),
}


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("value", BAD)
def test_bad_hours_are_refused_for_an_app_login(
        world: dict[str, Any], column: str, value: str) -> None:
    before = snapshot(world)
    role, sql = WRITES[column]
    outcome = attempt(world, role, sql.replace("{value}", value))
    assert isinstance(outcome, psycopg.errors.CheckViolation), outcome
    assert f"ck_task_{column}" in str(outcome)
    assert snapshot(world) == before


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("value", BAD)
def test_bad_hours_are_refused_for_the_owner(
        world: dict[str, Any], column: str, value: str) -> None:
    task = world["tasks"]["completed"]
    with psycopg.connect(conninfo(world["url"])) as conn, \
            pytest.raises(psycopg.errors.CheckViolation, match=f"ck_task_{column}"):
        conn.execute(f"UPDATE task SET {column} = {value} WHERE id = %s", (task,))


def test_event_ids_are_bigint(world: dict[str, Any]) -> None:
    with psycopg.connect(conninfo(world["url"])) as conn:
        kinds = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'task_event' AND column_name = 'id'").fetchall()
        (sequence,) = conn.execute("SELECT data_type FROM information_schema.sequences "
                                   "WHERE sequence_name = 'task_event_id_seq'").fetchone()
    assert kinds == [("id", "bigint")] and sequence == "bigint"

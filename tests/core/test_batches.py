"""Set-based batches (issue 11): one INSERT per table, one conditional UPDATE per chunk of
ids, still all or nothing with every offending item named, on both databases."""

from __future__ import annotations

import json
import uuid

import pytest

from mpo.core.domain.errors import BatchRejected, ExitCode
from mpo.core.domain.selection import Selection
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.reads import show_task
from mpo.core.usecases.transitions import transition
from mpo.store import bulk as bulk_sql
from mpo.store.database import SqlDatabase
from tests import readback
from tests.builders import ADMIN, AGENT, PARAMS, RULES, draft, move


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 7 ids, so a batch of 30 spans several UPDATE statements."""
    monkeypatch.setattr(bulk_sql, "CHUNK", 7)


def bulk(db: SqlDatabase, count: int, **overrides: object) -> list[uuid.UUID]:
    items = [(f"line {n}", draft(title=f"task {n}", **overrides))
             for n in range(1, count + 1)]
    return [c.task.id for c in create_tasks(db, AGENT, items, RULES).tasks]


@pytest.mark.parametrize("count", [30, bulk_sql.STAGE_AT_LEAST + 6])  # rows, then staged/COPY
def test_a_bulk_create_inserts_every_task_with_its_event_in_one_batch(
    db: SqlDatabase, database_url: str, count: int
) -> None:
    ids = bulk(db, count, tags=["geo"], metadata={"skus": 3}, idempotency_key=None)
    stored = readback.tasks(database_url)
    assert set(stored) == {str(i) for i in ids}
    assert {t["status"] for t in stored.values()} == {"pending"}
    assert {tuple(t["tags"]) for t in stored.values()} == {("geo",)}
    assert {json.dumps(t["metadata"]) for t in stored.values()} == {'{"skus": 3}'}
    assert sorted(t["title"] for t in stored.values()) == sorted(
        f"task {n}" for n in range(1, count + 1))
    events = readback.events(database_url)
    assert sorted(e["task_id"] for e in events) == sorted(str(i) for i in ids)
    assert len({e["batch_id"] for e in events}) == 1


def test_a_bulk_create_names_every_bad_item_and_writes_nothing(
    db: SqlDatabase, database_url: str
) -> None:
    create_tasks(db, AGENT, [("first", draft(idempotency_key="k1"))], RULES)
    items = [(f"line {n}", draft(title=f"task {n}")) for n in range(1, 21)]
    items[4] = ("line 5", draft(title=""))
    items[11] = ("line 12", draft(idempotency_key="k1", title="other content"))
    items[17] = ("line 18", draft(estimated_hours=-1))
    with pytest.raises(BatchRejected) as caught:
        create_tasks(db, AGENT, items, RULES)
    assert [p.item for p in caught.value.problems] == ["line 5", "line 12", "line 18"]
    assert len(readback.tasks(database_url)) == 1
    assert len(readback.events(database_url)) == 1


def test_a_batch_moves_every_task_over_several_statements_with_one_event_each(
    db: SqlDatabase, database_url: str
) -> None:
    ids = bulk(db, 30)
    refs = tuple(str(i) for i in ids)
    result = transition(db, ADMIN, Action.SUBMIT, Selection(refs=refs), PARAMS,
                                     RULES)
    assert [i.task.id for i in result.items] == ids
    assert set(readback.statuses(database_url).values()) == {"awaiting_approval"}
    submits = [e for e in readback.events(database_url) if e["action"] == "submit"]
    assert sorted(e["task_id"] for e in submits) == sorted(refs)
    assert {(e["from_status"], e["to_status"], e["batch_id"]) for e in submits} == {
        ("pending", "awaiting_approval", str(result.batch_id))}
    approved = transition(db, ADMIN, Action.APPROVE, Selection(all=True), PARAMS,
                                       RULES)
    assert len(approved.items) == 30
    assert {t["approved_by"] for t in readback.tasks(database_url).values()} == {"ana"}


def test_a_batch_names_every_unusable_task_and_changes_nothing(
    db: SqlDatabase, database_url: str
) -> None:
    ids = bulk(db, 20)
    for task_id in ids[:18]:
        transition(db, ADMIN, Action.SUBMIT, Selection(refs=(str(task_id),)),
                                PARAMS, RULES)
    ghost = str(uuid.uuid4())
    refs = (*(str(i) for i in ids), ghost)
    with pytest.raises(BatchRejected) as caught:
        transition(db, ADMIN, Action.APPROVE, Selection(refs=refs), PARAMS,
                                RULES)
    assert [(p.item, p.exit_code) for p in caught.value.problems] == [
        (ghost, ExitCode.NOT_FOUND), (str(ids[18]), ExitCode.CONFLICT),
        (str(ids[19]), ExitCode.CONFLICT)]
    assert "changed nothing" in caught.value.message or "nothing" in caught.value.message
    assert not [e for e in readback.events(database_url) if e["action"] == "approve"]
    assert list(readback.statuses(database_url).values()).count("approved") == 0


def test_start_keeps_each_tasks_assignee_or_takes_the_actor(db: SqlDatabase) -> None:
    ids = bulk(db, 3)
    for task_id in ids:
        task = show_task(db, ADMIN, str(task_id))[0]
        move(db, task, Action.SUBMIT)
        move(db, task, Action.APPROVE)
    result = transition(db, ADMIN, Action.START,
                                     Selection(refs=tuple(str(i) for i in ids)), PARAMS, RULES)
    assert {i.to_status for i in result.items} == {Status.IN_PROGRESS}
    assert {show_task(db, ADMIN, str(i))[0].assigned_to for i in ids} == {"ana"}

"""The use cases on real databases: creates, batches, dry runs, and lost races classified."""

from __future__ import annotations

import uuid

import pytest

from mpo.core.domain.errors import (
    AmbiguousId,
    BatchRejected,
    Conflict,
    ExitCode,
    IdempotencyConflict,
    PermissionDenied,
    UsageError,
    ValidationError,
)
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.results import BatchResult, CreateResult
from mpo.core.domain.selection import Selection
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.tables.models import Task
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.reads import list_events, show_task
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from tests import readback
from tests.builders import ADMIN, PARAMS, RULES, draft, make_task, proposer, task_in
from tests.migrated import upgrade


def create(db: SqlDatabase, *raws: dict[str, object], skip_invalid: bool = False
           ) -> CreateResult:
    """Tasks the admin creates for the amazon agent."""
    with db.read() as uow:
        if uow.principals.by_name("marketplace-amazon") is None:
            proposer(db)
    items = [(f"line {n}", raw) for n, raw in enumerate(raws, start=1)]
    return create_tasks(db, ADMIN, items, RULES, skip_invalid=skip_invalid)


def test_a_bulk_create_writes_every_task_and_one_event_each_under_one_batch(
    db: SqlDatabase, database_url: str
) -> None:
    result = create(db, draft(title="a"), draft(title="b"), draft(title="c"))
    assert [c.created for c in result.tasks] == [True, True, True]
    events = readback.events(database_url)
    assert [e["action"] for e in events] == ["create"] * 3
    assert {e["batch_id"] for e in events} == {str(result.batch_id)}
    assert {e["actor"] for e in events} == {"ana"}
    assert {e["payload"]["on_behalf_of"] for e in events} == {"marketplace-amazon"}


def test_one_bad_item_stops_the_whole_create_and_names_every_bad_item(
    db: SqlDatabase, database_url: str
) -> None:
    with pytest.raises(BatchRejected) as caught:
        create(db, draft(), draft(title=""), draft(), draft(category="misc"))
    assert caught.value.exit_code is ExitCode.USAGE
    assert [p.item for p in caught.value.problems] == ["line 2", "line 4"]
    assert readback.tasks(database_url) == {}


def test_a_single_bad_item_raises_its_own_error(db: SqlDatabase, database_url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        create_tasks(db, ADMIN, [("task", draft(title=""))], RULES)
    assert caught.value.field == "title"
    assert readback.tasks(database_url) == {}


def test_skip_invalid_creates_the_rest_and_reports_the_skipped(
    db: SqlDatabase, database_url: str
) -> None:
    result = create(db, draft(title="ok"), draft(estimated_hours=0), skip_invalid=True)
    assert [c.task.title for c in result.tasks] == ["ok"]
    assert [p.item for p in result.skipped] == ["line 2"]
    assert len(readback.tasks(database_url)) == 1


def test_no_items_is_a_usage_error(db: SqlDatabase) -> None:
    with pytest.raises(UsageError):
        create_tasks(db, ADMIN, [], RULES)


def test_a_retried_key_returns_the_task_and_new_content_is_a_conflict(
    db: SqlDatabase, database_url: str
) -> None:
    first = create(db, draft(idempotency_key="k1")).tasks[0]
    again = create(db, draft(idempotency_key="k1")).tasks[0]
    assert (first.created, again.created, again.task.id) == (True, False, first.task.id)
    with pytest.raises(IdempotencyConflict) as caught:
        create(db, draft(idempotency_key="k1", title="other"))
    assert caught.value.exit_code is ExitCode.CONFLICT
    assert str(first.task.id) in caught.value.message
    assert len(readback.tasks(database_url)) == 1
    assert len(readback.events(database_url)) == 1


def test_a_key_repeated_within_one_bulk_create_makes_one_task(
    db: SqlDatabase, database_url: str
) -> None:
    result = create(db, draft(idempotency_key="k"), draft(idempotency_key="k"))
    assert [c.created for c in result.tasks] == [True, False]
    assert result.tasks[0].task.id == result.tasks[1].task.id
    assert len(readback.tasks(database_url)) == 1
    with pytest.raises(BatchRejected) as caught:
        create(db, draft(idempotency_key="j"), draft(idempotency_key="j", priority="low"))
    assert caught.value.exit_code is ExitCode.CONFLICT
    assert [p.item for p in caught.value.problems] == ["line 2"]


def test_a_batch_with_one_bad_item_still_names_it_and_says_nothing_changed(
    db: SqlDatabase, database_url: str
) -> None:
    with pytest.raises(BatchRejected) as caught:
        create(db, draft(), draft(title=""))
    assert caught.value.message.startswith("create: 1 invalid item, nothing changed")
    assert "line 2: title: " in caught.value.message
    task = task_in(db, Status.AWAITING_APPROVAL)
    with pytest.raises(BatchRejected) as moved:
        transition(db, ADMIN, Action.APPROVE, Selection(refs=(str(task.id),
                                "0000")), PARAMS, RULES)
    assert moved.value.message.startswith("approve: 1 invalid item, nothing changed")
    assert [p.item for p in moved.value.problems] == ["0000"]
    assert moved.value.exit_code is ExitCode.NOT_FOUND
    assert readback.statuses(database_url) == {str(task.id): "awaiting_approval"}


def test_one_batch_id_on_every_event_of_a_transition(db: SqlDatabase, database_url: str) -> None:
    tasks = [make_task(db) for _ in range(3)]
    result = transition(db, ADMIN, Action.SUBMIT, Selection(all=True), PARAMS,
                                     RULES)
    assert result.task_ids == {t.id for t in tasks}
    submits = [e for e in readback.events(database_url) if e["action"] == "submit"]
    assert {e["batch_id"] for e in submits} == {str(result.batch_id)}
    assert len(submits) == 3


def test_a_dry_run_reports_and_writes_nothing(db: SqlDatabase, database_url: str) -> None:
    make_task(db)
    before = (readback.tasks(database_url), readback.events(database_url))
    result = transition(db, ADMIN, Action.SUBMIT, Selection(all=True), PARAMS,
                                     RULES, dry_run=True)
    assert [i.outcome for i in result.items] == ["would_change"]
    assert (readback.tasks(database_url), readback.events(database_url)) == before


def test_a_selection_that_changed_since_confirmation_changes_nothing(
    db: SqlDatabase, database_url: str
) -> None:
    confirmed = make_task(db)
    make_task(db)  # arrived after the person said yes
    with pytest.raises(Conflict):
        transition(db, ADMIN, Action.SUBMIT, Selection(all=True), PARAMS, RULES,
                                expect=frozenset({confirmed.id}))
    assert set(readback.statuses(database_url).values()) == {"pending"}


def test_an_ambiguous_prefix_is_a_usage_error_naming_the_candidates(db: SqlDatabase) -> None:
    with db.write() as uow:
        for suffix in ("1", "2"):
            uow.tasks.add(Task(id=uuid.UUID(f"abcd0000-0000-0000-0000-00000000000{suffix}"),
                               marketplace="amazon", created_by="x", title="t",
                               category="analysis", priority="low", estimated_hours=1))
        uow.commit()
    with pytest.raises(AmbiguousId) as caught:
        show_task(db, ADMIN, "abcd")
    assert caught.value.exit_code is ExitCode.USAGE
    assert "abcd0000-0000" in caught.value.message
    assert show_task(db, ADMIN, "abcd0000-0000-0000-0000-000000000002")


def test_a_bad_batch_id_in_a_log_query_is_a_usage_error(db: SqlDatabase) -> None:
    with pytest.raises(UsageError):
        list_events(db, ADMIN, batch="not-a-uuid")
    with pytest.raises(ValidationError):
        list_events(db, ADMIN, actions=["delete"])


# --- races: PostgreSQL runs READ COMMITTED, so another writer can move a task between our
# read and our conditional UPDATE. The zero-row UPDATE must be classified, never ignored.


@pytest.fixture
def pg(pg_url: str) -> SqlDatabase:
    upgrade(pg_url)
    return SqlDatabase(pg_url)


def _race(db: SqlDatabase, pg_url: str, rival: object, *, skip_invalid: bool
          ) -> tuple[BatchResult | None, BatchRejected | None, Task, Task]:
    """Approve two tasks; after they were read, before the set-based UPDATE, `rival(second)`
    runs in its own transaction on its own connection."""
    first, second = (task_in(db, Status.AWAITING_APPROVAL) for _ in range(2))

    def progress(done: int, _total: int) -> None:
        if done == 0:
            rival(second)  # type: ignore[operator]

    try:
        result = transition(
            db, ADMIN, Action.APPROVE, Selection(refs=(str(first.id), str(second.id))),
            PARAMS, RULES, skip_invalid=skip_invalid, progress=progress)
    except BatchRejected as exc:
        return None, exc, first, second
    return result, None, first, second


def _rival_approves(pg_url: str) -> object:
    return lambda task: transition(
        SqlDatabase(pg_url), ADMIN, Action.APPROVE, Selection(refs=(str(task.id),)), PARAMS,
        RULES)


def test_a_task_moved_by_a_concurrent_writer_fails_the_batch_as_a_wrong_state(
    pg: SqlDatabase, pg_url: str
) -> None:
    _, error, first, second = _race(pg, pg_url, _rival_approves(pg_url), skip_invalid=False)
    assert error is not None and error.exit_code is ExitCode.CONFLICT
    assert [p.item for p in error.problems] == [str(second.id)]
    assert "is approved; approve needs awaiting_approval" in error.message
    statuses = readback.statuses(pg_url)
    assert statuses[str(first.id)] == "awaiting_approval"  # rolled back
    assert statuses[str(second.id)] == "approved"  # the rival's win
    approvals = [e for e in readback.events(pg_url) if e["action"] == "approve"]
    assert [e["task_id"] for e in approvals] == [str(second.id)]


def test_a_task_deleted_by_a_concurrent_writer_is_reported_not_found(
    pg: SqlDatabase, pg_url: str
) -> None:
    first = task_in(pg, Status.AWAITING_APPROVAL)
    with pg.write() as uow:  # a task without events, so it can be deleted
        ghost = Task(marketplace="amazon", created_by="x", title="ghost", category="analysis",
                     priority="low", estimated_hours=1, status="awaiting_approval")
        uow.tasks.add(ghost)
        uow.commit()

    def progress(done: int, _total: int) -> None:
        if done == 0:
            readback.execute(pg_url, "DELETE FROM task WHERE id = :id", id=ghost.id)

    result = transition(
        pg, ADMIN, Action.APPROVE, Selection(refs=(str(first.id), str(ghost.id))), PARAMS,
        RULES, skip_invalid=True, progress=progress)
    assert [i.task.id for i in result.items] == [first.id]
    assert [(p.item, p.exit_code) for p in result.skipped] == [
        (str(ghost.id), ExitCode.NOT_FOUND)]
    assert readback.statuses(pg_url) == {str(first.id): "approved"}


def test_with_skip_invalid_a_lost_race_skips_that_task_and_applies_the_rest(
    pg: SqlDatabase, pg_url: str
) -> None:
    result, error, first, second = _race(pg, pg_url, _rival_approves(pg_url),
                                         skip_invalid=True)
    assert error is None and result is not None
    assert [i.task.id for i in result.items] == [first.id]
    assert [p.item for p in result.skipped] == [str(second.id)]
    assert set(readback.statuses(pg_url).values()) == {"approved"}


AMAZON = Actor("marketplace-amazon", Role.AGENT, "amazon")
SHOPEE = Actor("marketplace-shopee", Role.AGENT, "shopee")


def test_a_key_taken_in_another_marketplace_is_refused_without_naming_its_task(
    db: SqlDatabase, database_url: str
) -> None:
    theirs = create_tasks(
        db, SHOPEE, [("t", draft(marketplace="shopee", created_by="marketplace-shopee",
                                  idempotency_key="k"))], RULES)
    with pytest.raises(IdempotencyConflict) as caught:
        create_tasks(db, AMAZON, [("t", draft(idempotency_key="k"))], RULES)
    assert str(theirs.tasks[0].task.id) not in caught.value.message
    assert "already used by another task" in caught.value.message
    assert len(readback.tasks(database_url)) == 1


def test_an_agents_prefix_matches_only_its_own_marketplace(db: SqlDatabase) -> None:
    with db.write() as uow:
        for suffix, marketplace in (("1", "amazon"), ("2", "shopee"), ("3", "shopee")):
            uow.tasks.add(Task(id=uuid.UUID(f"abcd0000-0000-0000-0000-00000000000{suffix}"),
                               marketplace=marketplace, created_by="x", title="t",
                               category="analysis", priority="low", estimated_hours=1))
        uow.commit()
    assert str(show_task(db, AMAZON, "abcd")[0].id).endswith("1")
    with pytest.raises(AmbiguousId) as caught:
        show_task(db, SHOPEE, "abcd")
    assert "0001" not in caught.value.message


def test_nobody_decides_a_task_they_recorded_for_someone_else(db: SqlDatabase) -> None:
    proposer(db)
    task = create_tasks(db, ADMIN, [("t", draft())], RULES).tasks[0].task
    assert (task.created_by, task.recorded_by) == ("marketplace-amazon", "ana")
    transition(db, ADMIN, Action.SUBMIT, Selection(refs=(str(task.id),)), PARAMS,
                            RULES)
    with pytest.raises(PermissionDenied, match="own task"):
        transition(db, ADMIN, Action.APPROVE, Selection(refs=(str(task.id),)),
                                PARAMS, RULES)

"""The seed dashboard's decisions (pending tasks submitted and decided in one transaction)
and single-task actions that return the task as it now stands."""

from __future__ import annotations

import pytest

from mpo.core.domain.action_values import transition_params
from mpo.core.domain.errors import BatchRejected, InvalidTransition, PermissionDenied
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases import decisions
from mpo.core.usecases.reads import list_events, show_task
from mpo.store.database import SqlDatabase
from tests.builders import ADMIN, RULES, make_task, task_in
from tests.cli.steps import SQLITE_ONLY


def test_a_pending_task_is_submitted_and_approved_with_one_batch_id(db: SqlDatabase) -> None:
    pending, waiting = make_task(db), task_in(db, Status.AWAITING_APPROVAL)
    params = decisions.seed_params(RULES, Action.APPROVE, "looks right")
    result = decisions.decide(db, ADMIN, Action.APPROVE, [str(pending.id), str(waiting.id)],
                              params, RULES)
    assert [i.task.status for i in result.items] == ["approved", "approved"]
    events = list_events(db, ADMIN, batch=str(result.batch_id))
    assert [(e.task_id, e.action) for e in events] == [
        (pending.id, "submit"), (pending.id, "approve"), (waiting.id, "approve")]
    assert show_task(db, ADMIN, str(pending.id))[0].approved_by == ADMIN.name


@SQLITE_ONLY
def test_a_seed_rejection_is_coded_other_with_its_reason_as_text(db: SqlDatabase) -> None:
    task = make_task(db)
    params = decisions.seed_params(RULES, Action.REJECT, "duplicate of 3f2a")
    result = decisions.decide(db, ADMIN, Action.REJECT, [str(task.id)], params, RULES)
    stored = show_task(db, ADMIN, str(task.id))[0]
    assert (stored.status, stored.rejection_code, stored.rejection_reason) == (
        "rejected", "other", "duplicate of 3f2a")
    assert result.items[0].task.status == "rejected"


@SQLITE_ONLY
def test_one_bad_task_applies_nothing(db: SqlDatabase) -> None:
    good, done = make_task(db), task_in(db, Status.APPROVED)
    with pytest.raises(InvalidTransition):
        decisions.decide(db, ADMIN, Action.APPROVE, [str(done.id)],
                         decisions.seed_params(RULES, Action.APPROVE, None), RULES)
    with pytest.raises(BatchRejected):
        decisions.decide(db, ADMIN, Action.APPROVE, [str(good.id), str(done.id)],
                         decisions.seed_params(RULES, Action.APPROVE, None), RULES)
    assert show_task(db, ADMIN, str(good.id))[0].status == "pending"


@SQLITE_ONLY
def test_only_who_may_submit_may_decide_a_pending_task(db: SqlDatabase) -> None:
    task = make_task(db)
    member = Actor("bea", Role.MEMBER)
    with pytest.raises(PermissionDenied):
        decisions.decide(db, member, Action.APPROVE, [str(task.id)],
                         decisions.seed_params(RULES, Action.APPROVE, None), RULES)


@SQLITE_ONLY
def test_apply_one_returns_the_task_as_stored(db: SqlDatabase) -> None:
    task = task_in(db, Status.APPROVED)
    assigned = decisions.apply_one(db, ADMIN, Action.ASSIGN, str(task.id)[:8],
                                   transition_params(RULES, "assign", assignee="bea"), RULES)
    stored = show_task(db, ADMIN, str(task.id))[0]
    assert (assigned.status, assigned.assigned_to, assigned.started_at) == (
        stored.status, stored.assigned_to, stored.started_at)

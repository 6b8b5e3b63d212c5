"""Subtasks with human checkpoints: the lifecycle, the order, the parent's completion and
the audit events, through the real use cases on both databases."""

from __future__ import annotations

import pytest

from mpo.core.domain.errors import (
    BatchRejected,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases.reads import show_task
from mpo.core.usecases.subtasks import Step, add_subtask, list_subtasks, take_step
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from tests.builders import ADMIN, move, task_in

AGENT = Actor("marketplace-amazon", Role.AGENT, "amazon")
SHOPEE = Actor("marketplace-shopee", Role.AGENT, "shopee")
MEMBER = Actor("bea", Role.MEMBER)


def test_checkpoints_gate_each_step_and_the_parent(db: SqlDatabase) -> None:
    task = task_in(db, Status.APPROVED)
    first = add_subtask(db, ADMIN, str(task.id), "analysis", "Audit listings")
    second = add_subtask(db, ADMIN, str(task.id), "content_generation", "Write titles")
    assert (first.position, second.position) == (1, 2)
    with pytest.raises(InvalidTransition, match="waits for subtask 1"):
        take_step(db, AGENT, Step.START, str(second.id))
    take_step(db, AGENT, Step.START, str(first.id))
    submitted = take_step(db, AGENT, Step.SUBMIT, str(first.id), data='{"skus": 50}')
    assert (submitted.status, submitted.result) == ("awaiting_checkpoint", {"skus": 50})
    rejected = take_step(db, MEMBER, Step.REJECT, str(first.id), reason="cover kids too")
    assert (rejected.status, rejected.result) == ("pending", None)
    take_step(db, AGENT, Step.START, str(first.id))
    take_step(db, AGENT, Step.SUBMIT, str(first.id), data={"skus": 60})
    assert take_step(db, MEMBER, Step.APPROVE, str(first.id), note="ok").status == "completed"
    take_step(db, AGENT, Step.START, str(second.id))  # the next one may start now
    move(db, task, Action.ASSIGN)
    with pytest.raises(InvalidTransition, match="1 open subtask"):
        move(db, task, Action.COMPLETE)
    take_step(db, AGENT, Step.FAIL, str(second.id), reason="no catalogue access")
    assert move(db, task, Action.COMPLETE).items[0].to_status == Status.COMPLETED
    _, subtasks = list_subtasks(db, ADMIN, str(task.id)[:8])
    assert [(s.position, s.status) for s in subtasks] == [(1, "completed"), (2, "failed")]

    events = [e for e in show_task(db, ADMIN, str(task.id))[1]
              if e.action.startswith(("subtask", "checkpoint"))]
    assert [(e.action, e.payload["position"], e.payload["from"], e.payload["to"])
            for e in events] == [
        ("subtask_add", 1, None, "pending"), ("subtask_add", 2, None, "pending"),
        ("subtask_start", 1, "pending", "in_progress"),
        ("checkpoint_submit", 1, "in_progress", "awaiting_checkpoint"),
        ("checkpoint_reject", 1, "awaiting_checkpoint", "pending"),
        ("subtask_start", 1, "pending", "in_progress"),
        ("checkpoint_submit", 1, "in_progress", "awaiting_checkpoint"),
        ("checkpoint_approve", 1, "awaiting_checkpoint", "completed"),
        ("subtask_start", 2, "pending", "in_progress"),
        ("subtask_fail", 2, "in_progress", "failed")]
    assert events[4].payload["rejected_data"] == {"skus": 50}  # the log keeps the result
    assert (events[4].reason, events[7].reason) == ("cover kids too", "ok")
    assert {(e.from_status, e.to_status) for e in events[:2]} == {("approved", "approved")}


def test_a_batch_complete_names_the_tasks_held_open(db: SqlDatabase) -> None:
    held, free = task_in(db, Status.IN_PROGRESS), task_in(db, Status.IN_PROGRESS)
    add_subtask(db, ADMIN, str(held.id), "delegation", "Hand over")
    with pytest.raises(BatchRejected) as refused:
        transition(db, ADMIN, Action.COMPLETE,
                                Selection(refs=(str(held.id), str(free.id))),
                                TransitionParams(actual_hours=1.0), Rules())
    assert [p.item for p in refused.value.problems] == [str(held.id)]
    assert show_task(db, ADMIN, str(free.id))[0].status == "in_progress"


def test_who_may_take_which_step(db: SqlDatabase) -> None:
    task = task_in(db, Status.APPROVED)
    with pytest.raises(PermissionDenied, match="may not add-subtask"):
        add_subtask(db, AGENT, str(task.id), "analysis", "mine")
    sub = add_subtask(db, ADMIN, str(task.id), "analysis", "Audit")
    with pytest.raises(NotFound):  # another marketplace's agent cannot even see it
        take_step(db, SHOPEE, Step.START, str(sub.id))
    with pytest.raises(PermissionDenied, match="may not work-subtask"):
        take_step(db, MEMBER, Step.START, str(sub.id))
    take_step(db, AGENT, Step.START, str(sub.id))
    take_step(db, AGENT, Step.SUBMIT, str(sub.id), data="{}")
    with pytest.raises(PermissionDenied, match="may not review-checkpoint"):
        take_step(db, AGENT, Step.APPROVE, str(sub.id))


def test_bad_steps_change_nothing(db: SqlDatabase) -> None:
    task = task_in(db, Status.APPROVED)
    with pytest.raises(ValidationError, match="type: 'review' is not one of analysis"):
        add_subtask(db, ADMIN, str(task.id), "review", "x")
    sub = add_subtask(db, ADMIN, str(task.id), "analysis", "Audit")
    with pytest.raises(InvalidTransition, match="is pending; checkpoint submit needs"):
        take_step(db, AGENT, Step.SUBMIT, str(sub.id), data="{}")
    take_step(db, AGENT, Step.START, str(sub.id))
    with pytest.raises(ValidationError, match="data: is not valid JSON"):
        take_step(db, AGENT, Step.SUBMIT, str(sub.id), data="{nope")
    with pytest.raises(ValidationError, match="reason"):
        take_step(db, AGENT, Step.FAIL, str(sub.id), reason=" ")
    assert list_subtasks(db, ADMIN, str(task.id))[1][0].status == "in_progress"
    done = task_in(db, Status.REJECTED)
    with pytest.raises(InvalidTransition, match="terminal"):
        add_subtask(db, ADMIN, str(done.id), "analysis", "late")

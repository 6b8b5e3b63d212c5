"""Use cases for clients that act on one task and want it back as it now is, and the
seed dashboard's approval, which may decide tasks still `pending`.

The seed never moved tasks to `awaiting_approval`, so its dashboard approves pending ones:
such a task is submitted and decided in the same transaction, two audit events sharing
the batch id (issue 12).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from mpo.core import permissions
from mpo.core.clock import Clock, utcnow
from mpo.core.errors import BatchRejected, ItemProblem, MpoError, PermissionDenied, UsageError
from mpo.core.identity import refusals_recorded
from mpo.core.lifecycle import TransitionParams, stamps, transition_for
from mpo.core.lookup import visible
from mpo.core.models import Task, TaskEvent
from mpo.core.permissions import Actor, Verb
from mpo.core.ports import Database
from mpo.core.results import BatchResult, ItemResult, fail, problem
from mpo.core.selection import Selection
from mpo.core.transitions import blocker, event_payload, transition
from mpo.core.validation import Rules, transition_params
from mpo.core.vocabulary import Action, Status


def _applied(task: Task, action: Action, actor: Actor, now: datetime,
             params: TransitionParams) -> None:
    """Bring a detached task read before `action` up to date with what the action wrote."""
    values = stamps(action, actor=actor.name, now=now, params=params,
                    assigned_to=task.assigned_to)
    for key, value in {**values, "status": transition_for(action).target.value}.items():
        setattr(task, key, value)


def apply_one(db: Database, actor: Actor, action: Action, ref: str,
              params: TransitionParams, rules: Rules, *, clock: Clock = utcnow) -> Task:
    """Apply a lifecycle action to one task and return the task as it now stands."""
    now = clock()
    result = transition(db, actor, action, Selection(refs=(ref,)), params, rules,
                        clock=lambda: now)
    task = result.items[0].task
    _applied(task, action, actor, now, params)
    return task


def decide(db: Database, actor: Actor, action: Action, refs: Sequence[str],
           params: TransitionParams, *, clock: Clock = utcnow) -> BatchResult:
    """Approve or reject tasks awaiting approval, submitting pending ones first: all or
    nothing, one batch id on every event. The items carry the tasks as they now stand."""
    if action not in (Action.APPROVE, Action.REJECT):
        raise UsageError(f"decide: {action} is neither approve nor reject")
    with refusals_recorded(db, actor, action.value):
        permissions.require(actor, Verb(action.value))
        params.require(action)
        if not refs:
            raise UsageError("no tasks selected: give at least one task id")
        with db.write() as uow:
            plan: list[tuple[str, Task, tuple[Action, ...]]] = []
            problems: list[ItemProblem] = []
            errors: list[MpoError] = []
            seen: set[uuid.UUID] = set()
            for ref in refs:
                try:
                    task = visible(uow, actor, ref)
                    if task.id in seen:
                        continue
                    seen.add(task.id)
                    steps = _steps(actor, action, task)
                except MpoError as exc:
                    problems.append(problem(ref, exc))
                    errors.append(exc)
                    continue
                plan.append((ref, task, steps))
            if problems:
                fail(action.value, problems, errors, len(plan) + len(problems))
            batch_id, now = uuid.uuid4(), clock()
            items: list[ItemResult] = []
            for ref, task, steps in plan:
                first = current = task.status
                for step in steps:
                    t = transition_for(step)
                    values = stamps(step, actor=actor.name, now=now, params=params,
                                    assigned_to=task.assigned_to)
                    if not uow.tasks.move(task.id, current, t.target.value, values):
                        # A concurrent batch won (PostgreSQL READ COMMITTED): nothing applies.
                        current = uow.tasks.status_of(task.id) or "gone"
                        raise BatchRejected(action.value, [problem(
                            ref, blocker(actor, step, task, current) or UsageError("raced"))])
                    # Each step's event right after its move: on PostgreSQL the write
                    # guards check an event against the task's status at that moment.
                    uow.tasks.add_events([TaskEvent(
                        task_id=task.id, batch_id=batch_id, actor=actor.name,
                        action=step.value, from_status=current,
                        to_status=t.target.value, reason=params.event_reason(step), at=now,
                        payload=event_payload(step, params))])
                    current = t.target.value
                items.append(ItemResult(task, first, transition_for(action).target.value,
                                        "changed"))
            uow.commit()
        for _, task, steps in plan:
            for step in steps:
                _applied(task, step, actor, now, params)
        return BatchResult(action, batch_id, False, items)


def _steps(actor: Actor, action: Action, task: Task) -> tuple[Action, ...]:
    """The actions that bring `task` to `action`'s target, or why none can."""
    if task.status != Status.PENDING.value:
        why = blocker(actor, action, task, task.status)
        if why is not None:
            raise why
        return (action,)
    if not actor.may(Verb.SUBMIT):
        raise PermissionDenied(f"task {str(task.id)[:8]} is pending, and {actor.name} may "
                               "not submit it")
    for step, status in ((Action.SUBMIT, Status.PENDING),
                         (action, Status.AWAITING_APPROVAL)):
        why = blocker(actor, step, task, status.value)
        if why is not None:
            raise why
    return (Action.SUBMIT, action)


#: The rejection code recorded for the seed's rejections, which carry free text only.
SEED_REJECTION_CODE = "other"


def seed_params(rules: Rules, action: Action, reason: str | None) -> TransitionParams:
    """The values of a seed approval: its `reason` is the rejection's text (coded `other`,
    or the last configured code) or the approval's note."""
    if action is Action.REJECT:
        codes = rules.rejection_codes
        code = SEED_REJECTION_CODE if SEED_REJECTION_CODE in codes else codes[-1]
        return transition_params(rules, reason_code=code, reason=reason)
    return transition_params(rules, note=reason)

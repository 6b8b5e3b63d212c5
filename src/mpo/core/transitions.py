"""Moving tasks along the lifecycle in batches: all or nothing unless told to skip.

One conditional UPDATE per set of equal stamps, then the events of exactly the rows it
moved; a row it missed lost a race (PostgreSQL, READ COMMITTED) and is classified.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mpo.core import assignees, permissions, validation
from mpo.core.clock import Clock, utcnow
from mpo.core.errors import (
    BatchRejected,
    Conflict,
    InvalidTransition,
    ItemProblem,
    MpoError,
    NotFound,
    PermissionDenied,
)
from mpo.core.identity import refusals_recorded
from mpo.core.lifecycle import TransitionParams, stamps, transition_for, why_not
from mpo.core.lookup import resolve_all
from mpo.core.models import Task
from mpo.core.permissions import Actor, Verb
from mpo.core.ports import Database, UnitOfWork
from mpo.core.results import BatchResult, ItemResult, fail, problem
from mpo.core.selection import Selection
from mpo.core.subtasks import hold_open
from mpo.core.validation import Rules
from mpo.core.vocabulary import Action, Status

#: Told (done, total) as a batch moves, before its first write and after each UPDATE.
Progress = Callable[[int, int], None]


def _short(task: Task) -> str:
    return str(task.id)[:8]


def sources(action: Action) -> tuple[str, ...]:
    """The statuses `action` leaves from: the one place a batch's status condition is made."""
    return tuple(sorted(s.value for s in transition_for(action).sources))


def _select(
    uow: UnitOfWork, actor: Actor, action: Action, selection: Selection
) -> tuple[list[tuple[str, Task]], list[ItemProblem], list[MpoError]]:
    """The tasks a selection names, with why each unusable one cannot move."""
    if selection.by_filter:
        sources = [s.value for s in Status if s in transition_for(action).sources]
        query = permissions.scope(actor, selection.query(*sources, me=actor.name))
        candidates = [(str(t.id), t) for t in uow.tasks.find(query)]
    else:
        candidates = []
    problems: list[ItemProblem] = []
    errors: list[MpoError] = []
    seen: set[uuid.UUID] = set()
    for ref, found in resolve_all(uow, actor, selection.refs):
        if isinstance(found, MpoError):
            problems.append(problem(ref, found))
            errors.append(found)
            continue
        task = found
        if task.id not in seen:
            seen.add(task.id)
            candidates.append((ref, task))
    usable: list[tuple[str, Task]] = []
    for label, task in candidates:
        why = blocker(actor, action, task, task.status)
        if why is None:
            usable.append((label, task))
        else:
            problems.append(problem(label, why))
            errors.append(why)
    return usable, problems, errors


def blocker(actor: Actor, action: Action, task: Task, status: str) -> MpoError | None:
    """Why `action` cannot apply to `task` while it is in `status`, or None if it can."""
    if status not in sources(action):
        return InvalidTransition(f"task {_short(task)} {why_not(action, Status(status))}")
    refusal = permissions.task_refusal(actor, action, task)
    if refusal is not None:
        return PermissionDenied(f"task {_short(task)} {refusal}")
    return None


def transition(
    db: Database,
    actor: Actor,
    action: Action,
    selection: Selection,
    params: TransitionParams,
    rules: Rules,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    expect: frozenset[uuid.UUID] | None = None,
    progress: Progress | None = None,
    clock: Clock = utcnow,
) -> BatchResult:
    """Move the selected tasks along the lifecycle, all or nothing unless `skip_invalid`.

    `expect` pins the exact set of tasks a person confirmed: if the selection now names
    another set, nothing changes.
    """
    with refusals_recorded(db, actor, action.value):
        permissions.require(actor, Verb(action.value))
        params.require(action)
        selection.check()
        validation.filters(selection, rules)
        t = transition_for(action)
        with (db.read() if dry_run else db.write()) as uow:
            if action is Action.ASSIGN and params.assignee is not None:
                assignees.require(uow, params.assignee)
            usable, problems, errors = _select(uow, actor, action, selection)
            if action is Action.COMPLETE:  # open subtasks hold their task (docs/subtask.md)
                usable = hold_open(uow, usable, problems, errors)
            if problems and not skip_invalid:
                fail(action.value, problems, errors, len(usable) + len(problems))
            batch_id = uuid.uuid4()
            if dry_run:
                items = [ItemResult(task, task.status, t.target, "would_change")
                         for _, task in usable]
                return BatchResult(action, batch_id, True, items, problems)
            if expect is not None and {task.id for _, task in usable} != expect:
                raise Conflict(
                    f"{action}: the selection changed since it was confirmed; run it again"
                )
            items = _apply(uow, actor, action, usable, params, batch_id, clock(),
                           problems, skip_invalid, progress)
            uow.commit()
        return BatchResult(action, batch_id, False, items, problems)


def _apply(
    uow: UnitOfWork,
    actor: Actor,
    action: Action,
    usable: list[tuple[str, Task]],
    params: TransitionParams,
    batch_id: uuid.UUID,
    now: datetime,
    problems: list[ItemProblem],
    skip_invalid: bool,
    progress: Progress | None,
) -> list[ItemResult]:
    """Move `usable` with one conditional UPDATE per set of equal stamps, then write the
    events of exactly the rows it moved; a row it missed lost a race and is classified."""
    t = transition_for(action)
    if progress is not None:
        progress(0, len(usable))  # before any write: the last moment others can win a race
    groups: dict[tuple[tuple[str, Any], ...], list[uuid.UUID]] = {}
    for _, task in usable:
        values = stamps(action, actor=actor.name, now=now, params=params,
                        assigned_to=task.assigned_to)
        groups.setdefault(tuple(sorted(values.items())), []).append(task.id)
    moved: set[uuid.UUID] = set()
    for values_key, ids in groups.items():
        moved |= uow.tasks.move_many(ids, sources(action), t.target.value, dict(values_key))
        if progress is not None:
            progress(len(moved), len(usable))
    lost = [(label, task) for label, task in usable if task.id not in moved]
    if lost:
        # Lost a race (PostgreSQL READ COMMITTED): classify, never ignore.
        now_in = uow.tasks.statuses_of([task.id for _, task in lost])
        missed: list[ItemProblem] = []
        for label, task in lost:
            current = now_in.get(task.id)
            why = (NotFound(f"no task with id {label}") if current is None
                   else blocker(actor, action, task, current)
                   or InvalidTransition(f"task {_short(task)} was changed concurrently"))
            missed.append(problem(label, why))
        if not skip_invalid:
            raise BatchRejected(action.value, missed)
        problems.extend(missed)
    reason, payload = params.event_reason(action), event_payload(action, params)
    uow.tasks.log([
        {"task_id": task.id, "batch_id": batch_id, "actor": actor.name,
         "action": action.value, "from_status": task.status, "to_status": t.target.value,
         "reason": reason, "at": now, "payload": payload}
        for _, task in usable if task.id in moved
    ])
    return [ItemResult(task, Status(task.status), t.target, "changed")
            for _, task in usable if task.id in moved]


def event_payload(action: Action, params: TransitionParams) -> dict[str, Any]:
    """What an event of `action` records beyond its statuses and reason."""
    if action in (Action.REJECT, Action.CANCEL):
        return {"reason_code": params.reason_code}
    if action is Action.ASSIGN:
        return {"assigned_to": params.assignee}
    if action is Action.COMPLETE:
        return {"actual_hours": params.actual_hours}
    return {}

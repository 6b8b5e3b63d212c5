"""Subtasks with human checkpoints (docs/subtask.md): ordered steps of a task, each done by
an agent and accepted by a person before the next may start.

    pending -> in_progress (start) -> awaiting_checkpoint (checkpoint submit)
    awaiting_checkpoint -> completed (checkpoint approve) | pending (checkpoint reject)
    pending | in_progress -> failed (fail)

Every step is an audit event of the parent task: `action` names the step
(`subtask_add`, `subtask_start`, `checkpoint_submit`, ...), `from_status` and `to_status`
are the parent's (unchanged), and the payload carries the subtask's id, position, type,
its own `from`/`to` statuses and the submitted data. A parent cannot complete while a
subtask is open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mpo.core.domain import permissions, validation
from mpo.core.domain.errors import (
    AmbiguousId,
    Conflict,
    InvalidTransition,
    ItemProblem,
    MpoError,
    NotFound,
    UsageError,
    ValidationError,
)
from mpo.core.domain.permissions import Actor, Role, Verb
from mpo.core.domain.selection import prefix_bounds
from mpo.core.domain.vocabulary import Status

if TYPE_CHECKING:
    from mpo.core.ports import Database, UnitOfWork
    from mpo.core.tables.models import Subtask, Task


class SubtaskType(StrEnum):
    """What kind of step a subtask is (the seed's sub-agents)."""

    ANALYSIS = "analysis"
    CONTENT_GENERATION = "content_generation"
    DELEGATION = "delegation"


class SubtaskStatus(StrEnum):
    """Where a subtask stands."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    AWAITING_CHECKPOINT = "awaiting_checkpoint"
    COMPLETED = "completed"
    FAILED = "failed"


#: A subtask in one of these no longer holds its parent open.
CLOSED = (SubtaskStatus.COMPLETED.value, SubtaskStatus.FAILED.value)
#: A parent in one of these may have its subtasks started.
WORKING = (Status.APPROVED.value, Status.IN_PROGRESS.value)
#: A parent in one of these takes no new subtasks.
FINISHED = (Status.REJECTED.value, Status.COMPLETED.value)
TITLE_MAX = 200


class Step(StrEnum):
    """A subtask step, as the `action` of its audit event."""

    ADD = "subtask_add"
    START = "subtask_start"
    SUBMIT = "checkpoint_submit"
    APPROVE = "checkpoint_approve"
    REJECT = "checkpoint_reject"
    FAIL = "subtask_fail"


@dataclass(frozen=True)
class Move:
    """Who may take a step, from which statuses, to which."""

    verb: Verb
    sources: tuple[SubtaskStatus, ...]
    target: SubtaskStatus


S = SubtaskStatus
MOVES: Mapping[Step, Move] = {
    Step.START: Move(Verb.WORK, (S.PENDING,), S.IN_PROGRESS),
    Step.SUBMIT: Move(Verb.WORK, (S.IN_PROGRESS,), S.AWAITING_CHECKPOINT),
    Step.APPROVE: Move(Verb.REVIEW, (S.AWAITING_CHECKPOINT,), S.COMPLETED),
    Step.REJECT: Move(Verb.REVIEW, (S.AWAITING_CHECKPOINT,), S.PENDING),
    Step.FAIL: Move(Verb.WORK, (S.PENDING, S.IN_PROGRESS), S.FAILED),
}


def stamps(step: Step, now: datetime, result: dict[str, Any] | None) -> dict[str, Any]:
    """The columns a step writes besides `status`: read by `take_step` and, probed, by the
    PostgreSQL guard generator (`mpo.store.subtask_guards`)."""
    values: dict[str, Any] = {"updated_at": now}
    if step is Step.SUBMIT:
        values["result"] = result
    if step is Step.REJECT:
        values["result"] = None
    return values


def _short(subtask: Subtask) -> str:
    return f"subtask {str(subtask.id)[:8]}"


def _parent(uow: UnitOfWork, actor: Actor, ref: str) -> Task:
    from mpo.core.usecases.lookup import visible

    return visible(uow, actor, ref)


def _resolve(uow: UnitOfWork, actor: Actor, ref: str) -> tuple[Subtask, Task]:
    """The one subtask an id prefix names, and its parent; hidden like its parent."""
    bounds = prefix_bounds(ref)
    if bounds is None:
        raise UsageError(f"{ref!r} is not a subtask id or a unique prefix of 4+ hex characters")
    matches = uow.subtasks.by_prefix(*bounds, limit=2)
    if len(matches) > 1:
        raise AmbiguousId(f"id prefix {ref} matches several subtasks; give more characters")
    parent = uow.tasks.get(matches[0].task_id) if matches else None
    if parent is None or (actor.role is Role.AGENT and parent.marketplace != actor.marketplace):
        raise NotFound(f"no subtask with id {ref}")
    return matches[0], parent


def _event(actor: Actor, step: Step, parent: Task, subtask: Subtask, source: str | None,
           now: datetime, reason: str | None = None, **more: Any) -> Any:
    from mpo.core.tables.models import TaskEvent

    payload = {"subtask_id": str(subtask.id), "position": subtask.position,
               "type": subtask.type, "from": source, "to": subtask.status} | more
    return TaskEvent(task_id=parent.id, actor=actor.name, action=step.value,
                     from_status=parent.status, to_status=parent.status, reason=reason,
                     at=now, payload=payload)


def add_subtask(db: Database, actor: Actor, parent_ref: str, kind: str, title: str,
                *, clock: Callable[[], datetime] | None = None) -> Subtask:
    """Append a pending subtask to a task that is not finished (master and admin)."""
    from mpo.core.domain.clock import utcnow
    from mpo.core.tables.models import Subtask
    from mpo.core.usecases.identity import refusals_recorded

    with refusals_recorded(db, actor, Verb.PLAN):
        permissions.require(actor, Verb.PLAN)
        kind = validation.one_of("type", kind, [t.value for t in SubtaskType])
        title = validation.text("title", title, max_len=TITLE_MAX, required=True)
        with db.write() as uow:
            parent = _parent(uow, actor, parent_ref)
            if parent.status in FINISHED:
                raise InvalidTransition(f"task {str(parent.id)[:8]} is {parent.status} "
                                        "(terminal); subtasks need an open task")
            now = (clock or utcnow)()
            subtask = Subtask(task_id=parent.id, position=uow.subtasks.last_position(parent.id)
                              + 1, type=kind, title=title, status=S.PENDING.value,
                              created_at=now, created_by=actor.name, updated_at=now)
            uow.subtasks.add(subtask)
            uow.tasks.add_events([_event(actor, Step.ADD, parent, subtask, None, now,
                                         title=title)])
            uow.commit()
            return subtask


def list_subtasks(db: Database, actor: Actor, parent_ref: str) -> tuple[Task, list[Subtask]]:
    """A task and its subtasks, in order."""
    from mpo.core.usecases.identity import refusals_recorded

    with refusals_recorded(db, actor, Verb.SHOW):
        permissions.require(actor, Verb.SHOW)
        with db.read() as uow:
            parent = _parent(uow, actor, parent_ref)
            return parent, uow.subtasks.of_task(parent.id)


def _data(value: object) -> dict[str, Any]:
    if value is None:
        raise ValidationError("data", "checkpoint submit needs the result (--data JSON)")
    try:
        return validation.metadata(value)
    except ValidationError as exc:
        raise ValidationError("data", exc.message.split(": ", 1)[-1]) from None


def take_step(db: Database, actor: Actor, step: Step, ref: str, *,
              data: object = None, note: str | None = None, reason: str | None = None,
              clock: Callable[[], datetime] | None = None) -> Subtask:
    """Move one subtask along its lifecycle, with its audit event on the parent."""
    from mpo.core.domain.clock import utcnow

    move = MOVES[step]
    from mpo.core.usecases.identity import refusals_recorded

    with refusals_recorded(db, actor, move.verb):
        permissions.require(actor, move.verb)
        result = _data(data) if step is Step.SUBMIT else None
        if step in (Step.REJECT, Step.FAIL) and not (reason or "").strip():
            raise ValidationError("reason", f"{step.value.replace('_', ' ')} needs a reason "
                                            "(--reason)")
        with db.write() as uow:
            subtask, parent = _resolve(uow, actor, ref)
            source = subtask.status
            if source not in move.sources:
                raise InvalidTransition(
                    f"{_short(subtask)} is {source}; {step.value.replace('_', ' ')} needs "
                    f"{' or '.join(move.sources)}")
            if step is Step.START:
                _startable(uow, subtask, parent)
            now = (clock or utcnow)()
            values = stamps(step, now, result)
            extra: dict[str, Any] = {}
            if step is Step.SUBMIT:
                extra["data"] = result
            if step is Step.REJECT:
                extra["rejected_data"] = subtask.result  # kept in the log, not the row
            if not uow.subtasks.move(subtask.id, source, move.target.value, values):
                raise Conflict(f"{_short(subtask)} changed meanwhile; run it again")
            uow.tasks.add_events([_event(actor, step, parent, subtask, source, now,
                                         reason=note if step is Step.APPROVE else reason,
                                         **extra)])
            uow.commit()
            return subtask


def _startable(uow: UnitOfWork, subtask: Subtask, parent: Task) -> None:
    """Refuse to start a subtask of an unapproved task, or before its predecessors close."""
    if parent.status not in WORKING:
        raise InvalidTransition(f"task {str(parent.id)[:8]} is {parent.status}; its subtasks "
                                f"start once it is {' or '.join(WORKING)}")
    waiting = [s for s in uow.subtasks.of_task(parent.id)
               if s.position < subtask.position and s.status != S.COMPLETED.value]
    if waiting:
        first = waiting[0]
        raise InvalidTransition(f"{_short(subtask)} waits for subtask {first.position} "
                                f"({str(first.id)[:8]}, {first.status}) to be approved")


def hold_open(uow: UnitOfWork, usable: list[tuple[str, Task]], problems: list[ItemProblem],
              errors: list[MpoError]) -> list[tuple[str, Task]]:
    """The tasks about to complete that may: one with open subtasks may not, and why is
    added to `problems` and `errors`."""
    counts = uow.subtasks.open_counts([t.id for _, t in usable], CLOSED)
    ok = []
    for label, task in usable:
        n = counts.get(task.id, 0)
        if not n:
            ok.append((label, task))
            continue
        error = InvalidTransition(f"task {str(task.id)[:8]} has {n} open subtask"
                                  f"{'s' if n > 1 else ''}; approve or fail them first")
        problems.append(ItemProblem(label, error.message, error.exit_code))
        errors.append(error)
    return ok

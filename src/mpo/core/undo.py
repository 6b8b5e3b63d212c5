"""`mpo undo BATCH_ID|EVENT_ID`: compensating transitions, recorded as new events.

Each task of the batch goes back to the status its event took it from, and the columns
that transition stamped are cleared (`lifecycle.inverse`). A task something else has
touched since (a later event) cannot be undone: like any batch, the whole undo is refused
and every such task listed. The audit log is never edited.
"""

from __future__ import annotations

import uuid

from mpo.core import permissions
from mpo.core.clock import Clock, utcnow
from mpo.core.errors import BatchRejected, ExitCode, ItemProblem, NotFound, UsageError
from mpo.core.identity import refusals_recorded
from mpo.core.lifecycle import TRANSITIONS, inverse
from mpo.core.models import Task, TaskEvent
from mpo.core.permissions import Actor, Verb
from mpo.core.ports import Database, UnitOfWork
from mpo.core.results import BatchResult, ItemResult
from mpo.core.vocabulary import Action


def _events(uow: UnitOfWork, ref: str) -> list[TaskEvent]:
    """The events a batch id (a UUID) or an event id (a number) names."""
    text = ref.strip()
    if text.isdigit():
        event = uow.audit.event(int(text))
        if event is None:
            raise NotFound(f"no event with id {text}")
        return [event]
    try:
        batch_id = uuid.UUID(text)
    except ValueError:
        raise UsageError(f"{ref!r} is not a batch id (a full UUID) or an event id (a number)"
                         ) from None
    events = uow.tasks.events(batch_id=batch_id)
    if not events:
        raise NotFound(f"no batch with id {text}")
    return events


def _problem(event: TaskEvent, task: Task | None, latest: int | None) -> str | None:
    """Why this event cannot be undone now, or None if it can."""
    if event.action not in TRANSITIONS:
        return (f"event {event.id} is a {event.action}, which cannot be undone"
                + ("; cancel the task instead" if event.action == Action.CREATE else ""))
    if task is None:
        return f"task {event.task_id} is not visible"
    if latest != event.id or task.status != event.to_status:
        return (f"task {str(task.id)[:8]} changed since event {event.id} (now {task.status}, "
                f"latest event {latest}); undo that first")
    return None


def undo(db: Database, actor: Actor, ref: str, *, dry_run: bool = False,
         clock: Clock = utcnow) -> BatchResult:
    """Put each task of a batch (or one event) back where it was, all or nothing."""
    with refusals_recorded(db, actor, Verb.UNDO):
        permissions.require(actor, Verb.UNDO)
        with (db.read() if dry_run else db.write()) as uow:
            events = _events(uow, ref)
            latest = uow.audit.latest_event_ids([e.task_id for e in events])
            plan: list[tuple[TaskEvent, Task]] = []
            problems: list[ItemProblem] = []
            for event in events:
                task = uow.tasks.get(event.task_id)
                why = _problem(event, task, latest.get(event.task_id))
                if why is not None:
                    problems.append(ItemProblem(str(event.task_id), why, ExitCode.CONFLICT))
                elif task is not None:
                    plan.append((event, task))
            if problems:
                raise BatchRejected("undo", problems)
            batch_id = uuid.uuid4()
            items = [ItemResult(task, event.to_status, str(event.from_status),
                                "would_change" if dry_run else "changed")
                     for event, task in plan]
            if dry_run:
                return BatchResult(Action.UNDO, batch_id, True, items)
            now = clock()
            undone: list[TaskEvent] = []
            for event, task in plan:
                back = inverse(Action(event.action))
                assert event.from_status is not None
                if not uow.tasks.move(task.id, back.source.value, event.from_status,
                                      dict.fromkeys(back.clears)):
                    raise BatchRejected("undo", [ItemProblem(
                        str(task.id), "changed while undoing; nothing undone", ExitCode.CONFLICT)])
                undone.append(TaskEvent(
                    task_id=task.id, batch_id=batch_id, actor=actor.name,
                    action=Action.UNDO.value, from_status=back.source.value,
                    to_status=event.from_status, at=now,
                    reason=f"undo of event {event.id} ({event.action})",
                    payload={"undoes": event.id, "action": event.action,
                             "batch_id": None if event.batch_id is None else str(event.batch_id)}))
            uow.tasks.add_events(undone)
            uow.commit()
            return BatchResult(Action.UNDO, batch_id, False, items)

"""`mpo undo BATCH_ID|EVENT_ID`: compensating transitions, recorded as new events.

Each task of the batch goes back to the status its first event of the batch took it from
(an approval routed in the same transaction, or the seed's submit-and-decide, is undone
whole), and the columns those transitions stamped are cleared. A task something else has
touched since (a later event) cannot be undone: like any batch, the whole undo is refused
and every such task listed. Only an admin other than the task's proposer may undo a
decision. The audit log is never edited.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from mpo.core.domain import permissions
from mpo.core.domain.clock import Clock, utcnow
from mpo.core.domain.errors import (
    BatchRejected,
    Conflict,
    ExitCode,
    ItemProblem,
    NotFound,
    UsageError,
)
from mpo.core.domain.lifecycle import ActionSpec, Lifecycle
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.results import BatchResult, ItemResult
from mpo.core.domain.vocabulary import Action
from mpo.core.ports import Database, UnitOfWork
from mpo.core.tables.models import Task, TaskEvent
from mpo.core.usecases import engine, idempotency
from mpo.core.usecases.engine import Move
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.workflow_apply import lifecycle_of


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


def _problem(actor: Actor, lifecycle: Lifecycle, chain: Sequence[TaskEvent],
             task: Task | None, latest: int | None) -> tuple[str, ExitCode] | None:
    """Why this task's events cannot be undone now (and its exit code), or None."""
    why = _conflict(lifecycle, chain, task, latest)
    if why is not None:
        return why, ExitCode.CONFLICT
    assert task is not None
    outside = permissions.outside_team(actor, task)
    if outside is not None:
        return f"task {str(task.id)[:8]} {outside}", ExitCode.AUTH
    specs = [lifecycle.of_event(e.action, e.from_status, e.to_status) for e in chain]
    decided = [(e, s) for e, s in zip(chain, specs, strict=True) if s and s.not_by_proposer]
    if decided and permissions.task_refusal(actor, decided[0][1], task) is not None:
        return (f"task {str(task.id)[:8]} was proposed by {actor.name}; only an admin other "
                f"than its proposer may undo its {decided[0][0].action}", ExitCode.AUTH)
    return None


def _conflict(lifecycle: Lifecycle, chain: Sequence[TaskEvent], task: Task | None,
              latest: int | None) -> str | None:
    """Why these events are no longer the task's latest state, or None."""
    last = chain[-1]
    for event in chain:
        spec = lifecycle.of_event(event.action, event.from_status, event.to_status)
        if spec is None or not spec.undoable:
            return (f"event {event.id} is a {event.action}, which cannot be undone"
                    + ("; cancel the task instead" if event.action == Action.CREATE else ""))
    if task is None:
        return f"task {last.task_id} is not visible"
    if latest != last.id or task.status != last.to_status:
        return (f"task {str(task.id)[:8]} changed since event {last.id} (now {task.status}, "
                f"latest event {latest}); undo that first")
    return None


def _spec(lifecycle: Lifecycle, event: TaskEvent) -> ActionSpec:
    found = lifecycle.of_event(event.action, event.from_status, event.to_status)
    assert found is not None  # checked by _conflict
    return found


def undo(db: Database, actor: Actor, ref: str, *, dry_run: bool = False,
         idempotency_key: str | None = None, clock: Clock = utcnow) -> BatchResult:
    """Put each task of a batch (or one event) back where it was, all or nothing; a
    retry with the same `idempotency_key` returns the first result."""
    key = None if dry_run else idempotency.checked(idempotency_key)
    with refusals_recorded(db, actor, Verb.UNDO):
        permissions.require(actor, Verb.UNDO)
        with (db.read() if dry_run else db.write()) as uow:
            first = idempotency.first_result(uow, actor, key, Action.UNDO.value,
                                             {"ref": ref.strip()}, clock)
            if first is not None:
                return first
            lifecycle = lifecycle_of(uow)
            chains: dict[uuid.UUID, list[TaskEvent]] = {}
            for event in sorted(_events(uow, ref), key=lambda e: e.id or 0):
                chains.setdefault(event.task_id, []).append(event)
            latest = uow.audit.latest_event_ids(list(chains))
            tasks = {t.id: t for t in uow.tasks.by_ids(list(chains))}
            moves: list[Move] = []
            problems: list[ItemProblem] = []
            for task_id, chain in chains.items():
                task = tasks.get(task_id)
                why = _problem(actor, lifecycle, chain, task, latest.get(task_id))
                if why is not None:
                    problems.append(ItemProblem(str(task_id), *why))
                    continue
                assert task is not None and chain[0].from_status is not None
                clears = [c for e in chain for c in _spec(lifecycle, e).columns]
                moves.append(Move(
                    str(task.id), task, Action.UNDO.value, (task.status,),
                    chain[0].from_status, dict.fromkeys(dict.fromkeys(clears)),
                    reason=f"undo of event {', '.join(str(e.id) for e in chain)} "
                           f"({'+'.join(e.action for e in chain)})",
                    payload={"undoes": chain[-1].id, "action": "+".join(e.action for e in chain),
                             **({"events": [e.id for e in chain]} if len(chain) > 1 else {}),
                             "batch_id": None if chain[0].batch_id is None
                             else str(chain[0].batch_id)}))
            if problems:
                raise BatchRejected("undo", problems)
            batch_id = uuid.uuid4()
            if dry_run:
                return BatchResult(Action.UNDO, batch_id, True,
                                   [m.item("would_change") for m in moves])
            done, _ = engine.apply(
                uow, actor.name, moves, batch_id, clock(),
                why=lambda m, current: Conflict("changed while undoing; nothing undone"))
            fresh = {t.id: t for t in uow.tasks.by_ids([m.task.id for m in done])}
            result = BatchResult(Action.UNDO, batch_id, False, [
                ItemResult(fresh[m.task.id], m.origin, m.target, "changed") for m in done])
            idempotency.keep(uow, actor, key, result)
            uow.commit()
            return result

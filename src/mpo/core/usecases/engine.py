"""The one transition engine: every verb that moves tasks plans `Move`s and hands them here.

Moves with equal sources, target and stamps go in one conditional UPDATE; the events of
exactly the rows it moved are written right after (on PostgreSQL the guards check an event
against the task's status at that moment). A row the UPDATE missed lost a race (PostgreSQL,
READ COMMITTED): it is classified by `why`, and the batch is refused unless told to skip.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mpo.core.domain import permissions
from mpo.core.domain.action_spec import EXPIRED, LIVE
from mpo.core.domain.clock import utcnow
from mpo.core.domain.errors import (
    BatchRejected,
    InvalidTransition,
    ItemProblem,
    MpoError,
    NotFound,
    PermissionDenied,
)
from mpo.core.domain.results import ItemResult, problem

if TYPE_CHECKING:
    from mpo.core.domain.lifecycle import ActionSpec, Lifecycle
    from mpo.core.domain.permissions import Actor
    from mpo.core.ports import UnitOfWork
    from mpo.core.tables.models import Task

#: Told (done, total) as a batch moves, before its first write and after each UPDATE.
Progress = Callable[[int, int], None]
#: Why a move cannot happen now that its task is in `status`.
Why = Callable[["Move", str], MpoError | None]


@dataclass(frozen=True)
class Move:
    """One task's step: from one of `sources` to `target`, setting `values`, recorded as
    an event of `action` with `reason` and `payload`."""

    label: str
    task: Task
    action: str
    sources: tuple[str, ...]
    target: str
    values: Mapping[str, Any]
    reason: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    detail: str | None = None
    #: The status the task is in before this move, when not `task.status` (a later step).
    start: str | None = None

    def __post_init__(self) -> None:
        # Taken now: reading the task back after the move refreshes the same object.
        if self.start is None:
            object.__setattr__(self, "start", self.task.status)

    @property
    def origin(self) -> str:
        """The status this move leaves from."""
        return self.start or self.task.status

    def item(self, outcome: str = "changed") -> ItemResult:
        """What the batch reports for this move."""
        return ItemResult(self.task, self.origin, self.target, outcome, self.detail)


def blocker(actor: Actor, spec: ActionSpec, task: Task, status: str,
            lifecycle: Lifecycle, now: datetime | None = None) -> MpoError | None:
    """Why the action cannot apply to `task` while it is in `status`, or None if it can:
    the one check every verb makes of every task it moves (`now`: for its lease)."""
    short = str(task.id)[:8]
    if status not in spec.sources:
        return InvalidTransition(f"task {short} {lifecycle.why_not(spec, status)}")
    refusal = permissions.task_refusal(actor, spec, task)
    if refusal is not None:
        return PermissionDenied(f"task {short} {refusal}")
    return lease_refusal(spec, task, now or utcnow())


def lease_refusal(spec: ActionSpec, task: Task, now: datetime) -> MpoError | None:
    """Why the task's lease forbids the action now (exit 5), or None."""
    until = task.lease_expires_at
    if spec.lease == LIVE and until is not None and until <= now:
        return InvalidTransition(
            f"task {str(task.id)[:8]}: the lease of {task.assigned_to} ran out at "
            f"{until.isoformat(timespec='seconds')}; {spec.action} needs a live lease "
            "(claim it again: mpo claim)")
    if spec.lease == EXPIRED and (until is None or until > now):
        return InvalidTransition(f"task {str(task.id)[:8]}: its lease has not run out")
    return None


def apply(uow: UnitOfWork, actor: str, moves: Sequence[Move], batch_id: uuid.UUID,
          now: datetime, *, why: Why, skip_invalid: bool = False,
          progress: Progress | None = None) -> tuple[list[Move], list[ItemProblem]]:
    """Apply `moves`; return those that happened and the lost races skipped."""
    if progress is not None:
        progress(0, len(moves))  # before any write: the last moment others can win a race
    groups: dict[tuple[Any, ...], list[uuid.UUID]] = {}
    for move in moves:
        key = (move.sources, move.target, tuple(sorted(move.values.items())))
        groups.setdefault(key, []).append(move.task.id)
    moved: set[uuid.UUID] = set()
    for (sources, target, values), ids in groups.items():
        moved |= uow.tasks.move_many(ids, sources, target, dict(values))
        if progress is not None:
            progress(len(moved), len(moves))
    lost = [m for m in moves if m.task.id not in moved]
    missed: list[ItemProblem] = []
    if lost:
        now_in = uow.tasks.statuses_of([m.task.id for m in lost])
        for move in lost:
            current = now_in.get(move.task.id)
            error = (NotFound(f"no task with id {move.label}") if current is None
                     else why(move, current) or InvalidTransition(
                         f"task {str(move.task.id)[:8]} was changed concurrently"))
            missed.append(problem(move.label, error))
        if not skip_invalid:
            raise BatchRejected(moves[0].action, missed)
    done = [m for m in moves if m.task.id in moved]
    uow.tasks.log([
        {"task_id": m.task.id, "batch_id": batch_id, "actor": actor, "action": m.action,
         "from_status": m.origin, "to_status": m.target, "reason": m.reason,
         "at": now, "payload": dict(m.payload)}
        for m in done
    ])
    return done, missed

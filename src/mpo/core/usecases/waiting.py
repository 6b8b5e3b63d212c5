"""`mpo wait`: block until tasks reach a state, for agents that propose and then act.

A task is settled when it reached the state waited for, or can never reach it (declined:
rejected when approval is waited for, cancelled for every goal). A rejection is a decision:
`decided` ends on either outcome, and the task's status says which. The wait reads the
tasks, then sleeps on a `Waker` (LISTEN on PostgreSQL, bounded polling on SQLite) and reads
again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from mpo.core.domain import permissions
from mpo.core.domain.errors import NotFound, UsageError
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.vocabulary import Status
from mpo.core.ports import Database
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.reads import show_task

if TYPE_CHECKING:
    from mpo.core.ports.events import Waker
    from mpo.core.tables.models import Task


class Goal(StrEnum):
    """What `mpo wait --for` waits for."""

    DECIDED = "decided"  # approved or rejected: the status says which
    APPROVED = "approved"  # rejected declines it
    COMPLETED = "completed"
    ANY_CHANGE = "any-change"


#: Statuses a task never leaves: waiting on is pointless unless the goal counts them as
#: reached (`decided` counts a rejection). The rest are declined (`mpo wait` exits 9).
DECLINED: frozenset[str] = frozenset({Status.REJECTED.value, Status.CANCELLED.value})
_APPROVED_OR_LATER = frozenset({Status.APPROVED, Status.IN_PROGRESS, Status.COMPLETED})
REACHED: dict[Goal, frozenset[str]] = {
    Goal.DECIDED: _APPROVED_OR_LATER | {Status.REJECTED.value},
    Goal.APPROVED: _APPROVED_OR_LATER,
    Goal.COMPLETED: frozenset({Status.COMPLETED.value}),
}


class Outcome(StrEnum):
    """How a wait ended, for each task and for the whole."""

    REACHED = "reached"
    DECLINED = "declined"
    WAITING = "waiting"


@dataclass(frozen=True)
class Waited:
    """The tasks as they ended up, and how the wait ended for each."""

    tasks: list[Task]
    outcomes: list[Outcome]

    @property
    def outcome(self) -> Outcome:
        """Declined if any task was; else waiting if any still is; else reached."""
        for which in (Outcome.DECLINED, Outcome.WAITING):
            if which in self.outcomes:
                return which
        return Outcome.REACHED


def _outcome(goal: Goal, task: Task, changed: bool) -> Outcome:
    if goal is Goal.ANY_CHANGE:
        return Outcome.REACHED if changed else Outcome.WAITING
    if task.status in REACHED[goal]:
        return Outcome.REACHED
    return Outcome.DECLINED if task.status in DECLINED else Outcome.WAITING


def wait_for(
    db: Database,
    actor: Actor,
    waker: Waker,
    refs: Sequence[str],
    goal: Goal,
    timeout: float | None,
    *,
    clock: Callable[[], float] = time.monotonic,
    notice: Callable[[str], None] | None = None,
) -> Waited:
    """Wait until every task is settled for `goal`, or `timeout` seconds pass (None: ever).

    Returns the tasks either way; the caller turns the outcome into an exit code. `notice`
    hears, once, of tasks nobody is asked to decide yet (still pending: a wait on them
    lasts until someone submits them).
    """
    with refusals_recorded(db, actor, Verb.SHOW):
        permissions.require(actor, Verb.SHOW)
        if not refs:
            raise UsageError("wait: give at least one task id")
        deadline = None if timeout is None else clock() + timeout
        ids: list[uuid.UUID] = []
        for ref in refs:  # resolves prefixes; an agent cannot see others' tasks
            task, _ = show_task(db, actor, ref)
            if task.id not in ids:
                ids.append(task.id)
        with db.read() as uow:
            baseline = uow.stream.newest_id()
            unasked = [t for t in (uow.tasks.get(i) for i in ids)
                       if t is not None and t.status == Status.PENDING.value]
        if notice is not None and unasked and goal is not Goal.ANY_CHANGE:
            notice(_unasked(unasked))
        while True:
            with db.read() as uow:
                tasks = [uow.tasks.get(i) for i in ids]
                changed = {e.task_id for e in uow.stream.after(baseline, task_ids=ids)}
            found = [t for t in tasks if t is not None]
            if len(found) != len(ids):
                raise NotFound("wait: a task waited for is no longer visible")
            result = Waited(found, [_outcome(goal, t, t.id in changed) for t in found])
            if Outcome.WAITING not in result.outcomes:
                return result
            left = None if deadline is None else deadline - clock()
            if left is not None and left <= 0:
                return result
            waker.wait(60.0 if left is None else min(left, 60.0))


def _unasked(tasks: Sequence[Task]) -> str:
    """Why a wait on pending tasks may last for ever, and the command that asks."""
    short = " ".join(str(t.id)[:8] for t in tasks)
    verb = "is" if len(tasks) == 1 else "are"
    return (f"wait: {short} {verb} pending: nobody is asked to decide until submitted "
            f"(mpo submit {short})")


_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def timeout_seconds(text: str) -> float:
    """`--timeout` as seconds: `90`, `30s`, `10m`, `1h`, `2d`."""
    raw = text.strip().lower()
    number, unit = (raw[:-1], raw[-1]) if raw[-1:] in _UNIT_S else (raw, "s")
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if value < 0:
        from mpo.core.domain.errors import ValidationError

        raise ValidationError("timeout", f"{text!r} is not a duration such as 90, 30s, 10m, 1h")
    return value * _UNIT_S[unit]

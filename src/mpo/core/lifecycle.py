"""The task lifecycle: one table of transitions, and what each one stamps on the task.

    pending -> awaiting_approval (submit) -> approved | rejected (approve / reject)
    approved -> in_progress (assign / start) -> completed (complete)
    pending | awaiting_approval | approved | in_progress -> cancelled (cancel)

The table is declarative on purpose: the PostgreSQL triggers are generated from it, and
`undo` walks it backwards (`inverse`), clearing exactly the columns a transition stamped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mpo.core.errors import ValidationError
from mpo.core.vocabulary import Action, Status


@dataclass(frozen=True)
class Transition:
    """An action, the statuses it leaves from, the status it leads to, and the task columns
    it stamps (which its undo clears again)."""

    action: Action
    sources: frozenset[Status]
    target: Status
    columns: tuple[str, ...] = ()

    def label(self) -> str:
        """The source statuses, for messages: `pending, awaiting_approval`."""
        return ", ".join(s.value for s in Status if s in self.sources)


def _t(action: Action, sources: Status | tuple[Status, ...], target: Status,
       *columns: str) -> Transition:
    group = sources if isinstance(sources, tuple) else (sources,)
    return Transition(action, frozenset(group), target, columns)


#: Where a proposal can still be called off: anything not yet finished or decided against.
CANCELLABLE = (Status.PENDING, Status.AWAITING_APPROVAL, Status.APPROVED, Status.IN_PROGRESS)

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.SUBMIT, Status.PENDING, Status.AWAITING_APPROVAL, "submitted_at"),
        _t(Action.APPROVE, Status.AWAITING_APPROVAL, Status.APPROVED,
           "approved_at", "approved_by"),
        _t(Action.REJECT, Status.AWAITING_APPROVAL, Status.REJECTED,
           "rejected_at", "rejected_by", "rejection_code", "rejection_reason"),
        _t(Action.ASSIGN, Status.APPROVED, Status.IN_PROGRESS,
           "assigned_to", "assigned_by", "started_at"),
        _t(Action.START, Status.APPROVED, Status.IN_PROGRESS,
           "assigned_to", "assigned_by", "started_at"),
        _t(Action.COMPLETE, Status.IN_PROGRESS, Status.COMPLETED,
           "completed_at", "completed_by", "actual_hours", "completion_notes"),
        _t(Action.CANCEL, CANCELLABLE, Status.CANCELLED,
           "cancelled_at", "cancelled_by", "cancellation_code", "cancellation_reason"),
    )
}

TERMINAL: frozenset[Status] = frozenset({Status.REJECTED, Status.COMPLETED, Status.CANCELLED})


@dataclass(frozen=True)
class Inverse:
    """How `undo` compensates a transition: from its target back to the status the task
    left (one of its sources), clearing the columns it stamped."""

    action: Action
    source: Status
    targets: frozenset[Status]
    clears: tuple[str, ...]


def inverse(action: Action) -> Inverse:
    """The compensating move of an action (undo's row of the table)."""
    t = TRANSITIONS[action]
    return Inverse(action, t.target, t.sources, t.columns)


#: Every backwards move undo may make, derived from the table (for triggers and checks).
UNDO_MOVES: frozenset[tuple[Status, Status]] = frozenset(
    (t.target, source) for t in TRANSITIONS.values() for source in t.sources
)

#: Actions that move tasks; `create` only makes them.
BATCH_ACTIONS: tuple[Action, ...] = tuple(TRANSITIONS)


def transition_for(action: Action) -> Transition:
    """The transition an action performs."""
    return TRANSITIONS[action]


def why_not(action: Action, current: Status) -> str:
    """A one-line reason an action cannot leave `current` (the classification of a miss)."""
    t = TRANSITIONS[action]
    if current in TERMINAL:
        return f"is {current} (terminal); {action} needs {t.label()}"
    return f"is {current}; {action} needs {t.label()}"


@dataclass(frozen=True)
class TransitionParams:
    """The values a transition may carry beyond who and when."""

    note: str | None = None
    reason_code: str | None = None
    reason: str | None = None
    assignee: str | None = None
    actual_hours: float | None = None

    def require(self, action: Action) -> None:
        """Refuse an action whose required values are missing."""
        if action in (Action.REJECT, Action.CANCEL) and not self.reason_code:
            raise ValidationError("reason-code",
                                  f"{action} needs a reason code (--reason-code)")
        if action is Action.ASSIGN and not self.assignee:
            raise ValidationError("to", "assign needs an assignee (--to NAME)")
        if action is Action.COMPLETE and self.actual_hours is None:
            raise ValidationError("actual-hours", "complete needs the hours spent (--actual-hours)")

    def event_reason(self, action: Action) -> str | None:
        """The free text an audit event records as its `reason`."""
        if action in (Action.REJECT, Action.CANCEL):
            return self.reason or self.reason_code
        return self.note


def stamps(
    action: Action,
    *,
    actor: str,
    now: datetime,
    params: TransitionParams,
    assigned_to: str | None,
) -> dict[str, Any]:
    """The task columns an action sets, besides `status`."""
    if action is Action.SUBMIT:
        return {"submitted_at": now}
    if action is Action.APPROVE:
        return {"approved_at": now, "approved_by": actor}
    if action is Action.REJECT:
        return {
            "rejected_at": now,
            "rejected_by": actor,
            "rejection_code": params.reason_code,
            "rejection_reason": params.reason,
        }
    if action is Action.ASSIGN:
        return {"assigned_to": params.assignee, "assigned_by": actor, "started_at": now}
    if action is Action.START:
        return {"assigned_to": assigned_to or actor, "assigned_by": actor, "started_at": now}
    if action is Action.CANCEL:
        return {
            "cancelled_at": now,
            "cancelled_by": actor,
            "cancellation_code": params.reason_code,
            "cancellation_reason": params.reason,
        }
    return {"completed_at": now, "completed_by": actor, "actual_hours": params.actual_hours,
            "completion_notes": params.note}


def accuracy(estimated: float | None, actual: float | None) -> float | None:
    """How close the estimate was: max(0, 1 - |actual - estimated| / estimated)."""
    if estimated is None or actual is None or estimated <= 0:
        return None
    return max(0.0, 1.0 - abs(actual - estimated) / estimated)

"""The task lifecycle: one table of transitions, and what each one stamps on the task.

    pending -> awaiting_approval (submit) -> approved | rejected (approve / reject)
    approved -> in_progress (assign / start) -> completed (complete)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mpo.core.errors import ValidationError
from mpo.core.vocabulary import Action, Status


@dataclass(frozen=True)
class Transition:
    """An action, the one status it leaves from and the status it leads to."""

    action: Action
    source: Status
    target: Status


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        Transition(Action.SUBMIT, Status.PENDING, Status.AWAITING_APPROVAL),
        Transition(Action.APPROVE, Status.AWAITING_APPROVAL, Status.APPROVED),
        Transition(Action.REJECT, Status.AWAITING_APPROVAL, Status.REJECTED),
        Transition(Action.ASSIGN, Status.APPROVED, Status.IN_PROGRESS),
        Transition(Action.START, Status.APPROVED, Status.IN_PROGRESS),
        Transition(Action.COMPLETE, Status.IN_PROGRESS, Status.COMPLETED),
    )
}

TERMINAL: frozenset[Status] = frozenset({Status.REJECTED, Status.COMPLETED})

#: Actions that move tasks; `create` only makes them.
BATCH_ACTIONS: tuple[Action, ...] = tuple(TRANSITIONS)


def transition_for(action: Action) -> Transition:
    """The transition an action performs."""
    return TRANSITIONS[action]


def why_not(action: Action, current: Status) -> str:
    """A one-line reason an action cannot leave `current` (the classification of a miss)."""
    t = TRANSITIONS[action]
    if current in TERMINAL:
        return f"is {current} (terminal); {action} needs {t.source}"
    return f"is {current}; {action} needs {t.source}"


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
        if action is Action.REJECT and not self.reason_code:
            raise ValidationError("reason-code", "reject needs a reason code (--reason-code)")
        if action is Action.ASSIGN and not self.assignee:
            raise ValidationError("to", "assign needs an assignee (--to NAME)")
        if action is Action.COMPLETE and self.actual_hours is None:
            raise ValidationError("actual-hours", "complete needs the hours spent (--actual-hours)")

    def event_reason(self, action: Action) -> str | None:
        """The free text an audit event records as its `reason`."""
        if action is Action.REJECT:
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
        return {"assigned_to": params.assignee, "started_at": now}
    if action is Action.START:
        return {"assigned_to": assigned_to or actor, "started_at": now}
    return {"completed_at": now, "actual_hours": params.actual_hours}


def accuracy(estimated: float | None, actual: float | None) -> float | None:
    """How close the estimate was: max(0, 1 - |actual - estimated| / estimated)."""
    if estimated is None or actual is None or estimated <= 0:
        return None
    return max(0.0, 1.0 - abs(actual - estimated) / estimated)

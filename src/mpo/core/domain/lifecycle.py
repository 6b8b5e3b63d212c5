"""The task lifecycle as data: each action declared once.

    pending -> awaiting_approval (submit) -> approved | rejected (approve / reject)
    approved -> in_progress (assign / start) -> completed (complete)
    pending | awaiting_approval | approved | in_progress -> cancelled (cancel)
    approved -> in_progress (claim, with a lease) -> approved (release, lease_expired)
    in_progress -> in_progress (heartbeat, note): see `core/domain/execution.py`

An `ActionSpec` says where an action leaves from and leads to, which verb of the permission
table allows it, the values it carries (required or not, and how each is checked), the task
columns it stamps and from what (the clock, the actor, a value), what its audit event
records, and whether the proposer is barred from it. Everything else reads the declaration:
`stamps`, `require`, the event's reason and payload (here), the transition engine, undo
(`inverse`), the PostgreSQL guards, the CLI's and HTTP's lifecycle verbs, `mpo roles` and
the docs' tables. A custom workflow (`core/domain/workflow.py`) derives a new `Lifecycle` from
this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from mpo.core.domain.action_spec import (
    ACTOR,
    CLEARED,
    EXPIRED,
    KEPT_OR_ACTOR,
    LEASE,
    LIVE,
    NOTE,
    NOW,
    REASON,
    ActionSpec,
    Param,
)
from mpo.core.domain.errors import ValidationError
from mpo.core.domain.execution import DEFAULT_LEASE, EXECUTION
from mpo.core.domain.vocabulary import Action, Status

__all__ = ["ACTOR", "CLEARED", "EXPIRED", "KEPT_OR_ACTOR", "LEASE", "LIVE", "NOTE", "NOW",
           "ActionSpec", "Lifecycle", "Param", "TransitionParams"]

#: The action of a move through a custom workflow's state (`mpo move ID --to STATE`).
MOVE = Action.MOVE.value


def _code(codes: str, help: str) -> Param:
    return Param("reason_code", "reason-code", "code", help, required=True, codes=codes,
                 need="a reason code (--reason-code)")


def _spec(action: Action, sources: Iterable[Status], target: Status, *, summary: str,
          done: str, params: tuple[Param, ...] = (), stamps: Mapping[str, str] | None = None,
          payload: Mapping[str, str] | None = None, reason: tuple[str, ...] = ("note",),
          not_by_proposer: bool = False, lease: str = "") -> ActionSpec:
    return ActionSpec(
        action=action.value, sources=frozenset(s.value for s in sources), target=target.value,
        verb=action.value, params=params, stamps=tuple((stamps or {}).items()),
        payload=tuple((payload or {}).items()), reason=reason,
        not_by_proposer=not_by_proposer, summary=summary, done=done, lease=lease)


#: Where a proposal can still be called off: anything not yet finished or decided against.
CANCELLABLE = (Status.PENDING, Status.AWAITING_APPROVAL, Status.APPROVED, Status.IN_PROGRESS)
_REASONED = ("reason", "reason_code")

SPECS: tuple[ActionSpec, ...] = (
    _spec(Action.SUBMIT, (Status.PENDING,), Status.AWAITING_APPROVAL,
          summary="Submit pending tasks for approval", done="submitted",
          stamps={"submitted_at": NOW}),
    _spec(Action.APPROVE, (Status.AWAITING_APPROVAL,), Status.APPROVED,
          summary="Approve tasks awaiting approval", done="approved",
          params=(NOTE,), stamps={"approved_at": NOW, "approved_by": ACTOR},
          not_by_proposer=True),
    _spec(Action.REJECT, (Status.AWAITING_APPROVAL,), Status.REJECTED,
          summary="Reject tasks awaiting approval, with a reason", done="rejected",
          params=(_code("rejection_codes", "Required: one of the configured rejection codes "
                        "(mpo config get rejection_codes)."), REASON),
          stamps={"rejected_at": NOW, "rejected_by": ACTOR,
                  "rejection_code": "param:reason_code", "rejection_reason": "param:reason"},
          payload={"reason_code": "reason_code"}, reason=_REASONED, not_by_proposer=True),
    _spec(Action.ASSIGN, (Status.APPROVED,), Status.IN_PROGRESS,
          summary="Assign approved tasks to a team member and start them", done="assigned",
          params=(Param("assignee", "to", "name", "Required: the team member.",
                        required=True, need="an assignee (--to NAME)"), NOTE),
          stamps={"assigned_to": "param:assignee", "assigned_by": ACTOR, "started_at": NOW},
          payload={"assigned_to": "assignee"}),
    _spec(Action.START, (Status.APPROVED,), Status.IN_PROGRESS,
          summary="Start approved tasks yourself", done="started", params=(NOTE,),
          stamps={"assigned_to": KEPT_OR_ACTOR, "assigned_by": ACTOR, "started_at": NOW}),
    _spec(Action.COMPLETE, (Status.IN_PROGRESS,), Status.COMPLETED,
          summary="Complete tasks in progress, reporting the hours spent", done="completed",
          params=(Param("actual_hours", "actual-hours", "hours",
                        "Required: hours actually spent.", required=True,
                        need="the hours spent (--actual-hours)"),
                  Param("note", "note", "text",
                        "Completion notes, kept on the task (completion_notes).")),
          stamps={"completed_at": NOW, "completed_by": ACTOR,
                  "actual_hours": "param:actual_hours", "completion_notes": "param:note"},
          payload={"actual_hours": "actual_hours"}, lease=LIVE),
    _spec(Action.CANCEL, CANCELLABLE, Status.CANCELLED,
          summary="Cancel tasks not yet finished", done="cancelled",
          params=(_code("cancel_codes", "Required: one of the configured cancel codes "
                        "(mpo config get cancel_codes)."), REASON),
          stamps={"cancelled_at": NOW, "cancelled_by": ACTOR,
                  "cancellation_code": "param:reason_code",
                  "cancellation_reason": "param:reason"},
          payload={"reason_code": "reason_code"}, reason=_REASONED),
    *EXECUTION,
)

#: The built-in actions, by action.
TRANSITIONS: dict[Action, ActionSpec] = {Action(s.action): s for s in SPECS}

TERMINAL: frozenset[str] = frozenset({Status.REJECTED, Status.COMPLETED, Status.CANCELLED})


@dataclass(frozen=True)
class Lifecycle:
    """The statuses a task may be in and the actions between them: the built-in table,
    or one a custom workflow derived from it."""

    statuses: tuple[str, ...]
    actions: Mapping[str, ActionSpec]
    terminal: frozenset[str] = TERMINAL
    #: Custom states the workflow added, in path order.
    custom: tuple[str, ...] = field(default=())

    def spec(self, action: str) -> ActionSpec:
        """The declaration of `action`."""
        return self.actions[action]

    def why_not(self, action: str | ActionSpec, current: str) -> str:
        """A one-line reason an action cannot leave `current` (the classification of a
        miss)."""
        spec = action if isinstance(action, ActionSpec) else self.actions[action]
        name = spec.action if spec.action != MOVE else f"move --to {spec.target}"
        if current in self.terminal:
            return f"is {current} (terminal); {name} needs {spec.label()}"
        return f"is {current}; {name} needs {spec.label()}"

    def of_event(self, action: str, source: str | None, target: str) -> ActionSpec | None:
        """The declaration an audit event was made under (a `move` by its edge)."""
        if action == MOVE:
            return self.actions.get(f"{MOVE}:{source}>{target}")
        return self.actions.get(action)

    def moves_to(self, target: str) -> dict[str, ActionSpec]:
        """The `move` edges into `target`, by the status each leaves from."""
        return {next(iter(s.sources)): s for s in self.actions.values()
                if s.action == MOVE and s.target == target}

    def undo_moves(self) -> frozenset[tuple[str, str]]:
        """Every backwards move undo may make."""
        return frozenset((s.target, source) for s in self.actions.values()
                         for source in s.sources)


BUILTIN = Lifecycle(statuses=tuple(s.value for s in Status),
                    actions={s.action: s for s in SPECS})
#: Every backwards move undo may make in the built-in table (for triggers and checks).
UNDO_MOVES: frozenset[tuple[str, str]] = BUILTIN.undo_moves()
#: Actions that move tasks; `create` only makes them.
BATCH_ACTIONS: tuple[Action, ...] = tuple(TRANSITIONS)


def transition_for(action: Action | str) -> ActionSpec:
    """The built-in declaration of an action."""
    return BUILTIN.actions[str(action)]


def why_not(action: Action | str, current: str) -> str:
    """A one-line reason an action cannot leave `current`, by the built-in table."""
    return BUILTIN.why_not(str(action), current)


@dataclass(frozen=True)
class TransitionParams:
    """The values a transition may carry beyond who and when (each a declared `Param`)."""

    note: str | None = None
    reason_code: str | None = None
    reason: str | None = None
    assignee: str | None = None
    actual_hours: float | None = None
    #: The status `move` leads to (custom workflows).
    to: str | None = None
    #: A lease's length in seconds (claim, heartbeat).
    lease: float | None = None

    def value(self, name: str) -> Any:
        """A parameter's value by its declared name."""
        return getattr(self, name)

    def require(self, action: Action | str | ActionSpec) -> None:
        """Refuse an action whose required values are missing."""
        spec = action if isinstance(action, ActionSpec) else BUILTIN.actions[str(action)]
        for param in spec.params:
            if param.required and self.value(param.name) is None:
                raise ValidationError(param.field, f"{spec.action} needs {param.need}")

    def event_reason(self, action: Action | str | ActionSpec) -> str | None:
        """The free text an audit event records as its `reason`."""
        spec = action if isinstance(action, ActionSpec) else BUILTIN.actions[str(action)]
        return next((v for name in spec.reason if (v := self.value(name))), None)

    def only(self, spec: ActionSpec) -> TransitionParams:
        """These values less those the action does not declare."""
        declared = {p.name for p in spec.params}
        return replace(self, **{k: None for k in ("note", "reason_code", "reason",
                                                  "assignee", "actual_hours", "lease")
                                if k not in declared})


def stamps(spec: ActionSpec, *, actor: str, now: datetime, params: TransitionParams,
           assigned_to: str | None) -> dict[str, Any]:
    """The task columns an action sets, besides `status`, read from its declaration."""
    values: dict[str, Any] = {}
    for column, how in spec.stamps:
        if how == NOW:
            values[column] = now
        elif how == ACTOR:
            values[column] = actor
        elif how == KEPT_OR_ACTOR:
            values[column] = assigned_to or actor
        elif how == CLEARED:
            values[column] = None
        elif how == LEASE:
            given = params.lease
            values[column] = now + (DEFAULT_LEASE if given is None else timedelta(seconds=given))
        else:
            values[column] = params.value(how.removeprefix("param:"))
    return values


def event_payload(spec: ActionSpec, params: TransitionParams) -> dict[str, Any]:
    """What an event of the action records beyond its statuses and reason."""
    found = {key: params.value(name) for key, name in spec.payload}
    if "lease_seconds" in found and found["lease_seconds"] is None:  # the default lease
        found["lease_seconds"] = DEFAULT_LEASE.total_seconds()
    return found


def accuracy(estimated: float | None, actual: float | None) -> float | None:
    """How close the estimate was: max(0, 1 - |actual - estimated| / estimated)."""
    if estimated is None or actual is None or estimated <= 0:
        return None
    return max(0.0, 1.0 - abs(actual - estimated) / estimated)

"""Use cases for clients that act on one task and want it back as it now is, and the
seed dashboard's approval, which may decide tasks still `pending`.

The seed never moved tasks to `awaiting_approval`, so its dashboard approves pending ones:
such a task is submitted and decided in the same transaction, two audit events sharing
the batch id (issue 12). Both are `transitions.transition`, the one lifecycle use case.
"""

from __future__ import annotations

from collections.abc import Sequence

from mpo.core.domain.action_values import transition_params
from mpo.core.domain.clock import Clock, utcnow
from mpo.core.domain.errors import UsageError
from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor
from mpo.core.domain.results import BatchResult
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.ports import Database
from mpo.core.tables.models import Task
from mpo.core.usecases.transitions import transition


def apply_one(db: Database, actor: Actor, action: Action, ref: str,
              params: TransitionParams, rules: Rules, *, idempotency_key: str | None = None,
              clock: Clock = utcnow) -> Task:
    """Apply a lifecycle action to one task and return the task as it is now stored (a
    retry with the same `idempotency_key`: as the first try left it)."""
    result = transition(db, actor, action, Selection(refs=(ref,)), params, rules,
                        idempotency_key=idempotency_key, clock=clock)
    return result.items[0].task


def decide(db: Database, actor: Actor, action: Action, refs: Sequence[str],
           params: TransitionParams, rules: Rules, *, idempotency_key: str | None = None,
           clock: Clock = utcnow) -> BatchResult:
    """Approve or reject tasks awaiting approval, submitting pending ones first: all or
    nothing, one batch id on every event. The items carry the tasks as they now stand."""
    if action not in (Action.APPROVE, Action.REJECT):
        raise UsageError(f"decide: {action} is neither approve nor reject")
    if not refs:
        raise UsageError("no tasks selected: give at least one task id")
    return transition(db, actor, action, Selection(refs=tuple(refs)), params, rules,
                      submit_first=True, idempotency_key=idempotency_key, clock=clock)


#: The rejection code recorded for the seed's rejections, which carry free text only.
SEED_REJECTION_CODE = "other"


def seed_params(rules: Rules, action: Action, reason: str | None) -> TransitionParams:
    """The values of a seed approval: its `reason` is the rejection's text (coded `other`,
    or the last configured code) or the approval's note."""
    if action is Action.REJECT:
        codes = rules.rejection_codes
        code = SEED_REJECTION_CODE if SEED_REJECTION_CODE in codes else codes[-1]
        return transition_params(rules, action, reason_code=code, reason=reason)
    return transition_params(rules, action, note=reason)

"""`mpo cancel`: calling proposals off, from any status not yet finished or decided.

A cancel is a lifecycle action like any other (declared in `lifecycle.SPECS`), so it goes
through the one use case, `transitions.transition(..., Action.CANCEL, ...)`; its values
are checked by their declaration: a reason code from `cancel_codes`, optional free text.
"""

from __future__ import annotations

from mpo.core.lifecycle import TransitionParams
from mpo.core.validation import Rules, transition_params
from mpo.core.vocabulary import Action


def params(rules: Rules, reason_code: str | None, reason: str | None) -> TransitionParams:
    """A cancel's values: a reason code from `cancel_codes`, optional free text."""
    return transition_params(rules, Action.CANCEL, reason_code=reason_code, reason=reason)

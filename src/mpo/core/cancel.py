"""`mpo cancel`: calling proposals off, from any status not yet finished or decided.

A cancel is a lifecycle transition like any other (a row of `TRANSITIONS`), so it goes
through the one batch path, `transitions.transition(..., Action.CANCEL, ...)`; this module
only checks the values it carries: a reason code from its own list.
"""

from __future__ import annotations

from mpo.core import validation
from mpo.core.lifecycle import TransitionParams
from mpo.core.validation import Rules


def params(rules: Rules, reason_code: str | None, reason: str | None) -> TransitionParams:
    """A cancel's values: a reason code from `cancel_codes`, optional free text."""
    return TransitionParams(
        reason_code=None if reason_code is None else validation.one_of(
            "reason-code", reason_code, rules.cancel_codes),
        reason=validation.text("reason", reason, max_len=validation.REASON_MAX) or None,
    )


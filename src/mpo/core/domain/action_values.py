"""The values a lifecycle action carries (a note, a reason code, an assignee, hours, a
status to move to), each checked by its declaration (`lifecycle.Param`)."""

from __future__ import annotations

import re
from typing import Any

from mpo.core.domain.errors import ValidationError
from mpo.core.domain.lifecycle import BUILTIN, MOVE, TransitionParams
from mpo.core.domain.validation import REASON_MAX, Rules, hours, name, one_of, text

_SPAN = re.compile(r"^(\d{1,9}(?:\.\d{1,6})?)([smhd]?)$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def lease_seconds(field: str, value: Any) -> float:
    """A lease's length in seconds, from `90s`, `15m`, `2h` (at least a second, at most a
    week)."""
    match = _SPAN.match(str(value).strip().lower())
    seconds = float(match.group(1)) * _UNIT_S[match.group(2) or "s"] if match else -1.0
    if not 1 <= seconds <= 7 * 86400:
        raise ValidationError(field, f"{value!r} is not a duration between 1s and 7d "
                              "such as 90s, 15m or 2h")
    return seconds


def transition_params(rules: Rules, action: str, **given: Any) -> TransitionParams:
    """Validate the values a lifecycle action carries, each by its declaration
    (`lifecycle.Param`): free text, a configured code, a name, hours."""
    if str(action) == MOVE:  # a custom workflow's move: where to, and why
        to = given.get("to")
        return TransitionParams(
            to=None if to is None else name("to", to),
            note=text("note", given.get("note"), max_len=REASON_MAX) or None)
    spec = BUILTIN.spec(str(action))
    checked: dict[str, Any] = {}
    for key, value in given.items():
        if value is None:
            continue
        param = spec.param(key)
        if param is None:
            raise ValidationError(key.replace("_", "-"), f"{action} takes no {key}")
        if param.kind == "text":
            checked[key] = text(param.field, value, max_len=REASON_MAX) or None
        elif param.kind == "code":
            checked[key] = one_of(param.field, value, getattr(rules, param.codes or ""))
        elif param.kind == "name":
            checked[key] = name(param.field, value)
        elif param.kind == "duration":
            checked[key] = lease_seconds(param.field, value)
        else:
            checked[key] = hours(param.field, value)
    return TransitionParams(**checked)

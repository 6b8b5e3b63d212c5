"""Custom workflows: extra states an admin declares in the path (the seed's phase 4).

A state sits after another (`in_review` after `in_progress`); roles may move a task into it
(`enter`) and out of it (`leave`: forward, by the action that used to leave its
predecessor, or back with `mpo move --to PREDECESSOR`), and `distinct` requires whoever
moves it out to be someone other than its assignee (who did the work). `derive` turns the
declaration into a `Lifecycle`: the built-in actions rewired, plus `move` edges. With none
applied, a task follows the built-in lifecycle (`lifecycle.BUILTIN`) exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mpo.core.domain.errors import ValidationError
from mpo.core.domain.lifecycle import BUILTIN, MOVE, NOTE, ActionSpec, Lifecycle
from mpo.core.domain.vocabulary import NAME_RE, Action

#: The roles a state may name.
ROLES = ("agent", "master", "admin", "member")
STATE_MAX = 20
STATES_MAX = 10


@dataclass(frozen=True)
class CustomState:
    """One state a workflow adds."""

    name: str
    after: str
    enter: tuple[str, ...]
    leave: tuple[str, ...]
    distinct: bool = False

    def document(self) -> dict[str, Any]:
        """The state as `mpo workflow show --json` and the TOML file spell it."""
        return {"name": self.name, "after": self.after, "enter": list(self.enter),
                "leave": list(self.leave), "distinct": self.distinct}


def _roles(where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(r, str) for r in value):
        raise ValidationError(where, f"must be a non-empty list of roles: {', '.join(ROLES)}")
    for role in value:
        if role not in ROLES:
            raise ValidationError(where, f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return tuple(dict.fromkeys(value))


def parse(document: Mapping[str, Any]) -> tuple[CustomState, ...]:
    """The states a workflow document declares (`[[states]]` tables), checked: a new,
    well-formed name; `after` a non-terminal status before it; roles that exist."""
    unknown = sorted(set(document) - {"states"})
    if unknown:
        raise ValidationError(unknown[0], "unknown key; a workflow has only [[states]]")
    raw = document.get("states", [])
    if not isinstance(raw, list) or len(raw) > STATES_MAX:
        raise ValidationError("states", f"must be a list of at most {STATES_MAX} tables")
    known = list(BUILTIN.statuses)
    states: list[CustomState] = []
    for n, item in enumerate(raw):
        where = f"states[{n}]"
        if not isinstance(item, dict):
            raise ValidationError(where, "must be a table: name, after, enter, leave, distinct")
        extra = sorted(set(item) - {"name", "after", "enter", "leave", "distinct"})
        if extra:
            raise ValidationError(f"{where}.{extra[0]}",
                                  "unknown key; keys: name, after, enter, leave, distinct")
        name, after = item.get("name"), item.get("after")
        if not isinstance(name, str) or not NAME_RE.match(name) or len(name) > STATE_MAX \
                or "-" in name:
            raise ValidationError(f"{where}.name", f"must be 1-{STATE_MAX} letters, digits, "
                                  "`_` or `.`, starting with a letter or digit")
        if name in known:
            raise ValidationError(f"{where}.name", f"{name!r} is a status already")
        if after not in known or after in BUILTIN.terminal:
            allowed = ", ".join(s for s in known if s not in BUILTIN.terminal)
            raise ValidationError(f"{where}.after", f"must be a status that is not terminal "
                                  f"and declared before it: {allowed}")
        distinct = item.get("distinct", False)
        if not isinstance(distinct, bool):
            raise ValidationError(f"{where}.distinct", "must be true or false")
        states.append(CustomState(name, after, _roles(f"{where}.enter", item.get("enter")),
                                  _roles(f"{where}.leave", item.get("leave")), distinct))
        known.append(name)
    afters = [s.after for s in states]
    twice = sorted({a for a in afters if afters.count(a) > 1})
    if twice:
        raise ValidationError("states", f"two states follow {twice[0]}; chain them instead "
                              "(the second one after the first)")
    return tuple(states)


def _move(source: str, target: str, roles: tuple[str, ...], distinct: bool) -> ActionSpec:
    return ActionSpec(action=MOVE, sources=frozenset({source}), target=target, verb="",
                      params=(NOTE,), roles=frozenset(roles), not_by_assignee=distinct,
                      summary=f"Move tasks from {source} to {target}", done="moved")


def edge(source: str, target: str) -> str:
    """The key of a move's declaration in `Lifecycle.actions`."""
    return f"{MOVE}:{source}>{target}"


def derive(states: Sequence[CustomState]) -> Lifecycle:
    """The lifecycle with `states` in its path (the built-in one when there are none)."""
    if not states:
        return BUILTIN
    order = list(BUILTIN.statuses)
    for state in states:
        order.insert(order.index(state.after) + 1, state.name)
    by_after = {s.after: s for s in states}

    def last(status: str) -> CustomState | None:
        found = None
        while status in by_after:
            found = by_after[status]
            status = found.name
        return found

    actions: dict[str, ActionSpec] = {}
    for name, spec in BUILTIN.actions.items():
        if name == Action.CANCEL.value:
            actions[name] = replace(spec, sources=spec.sources | {s.name for s in states})
            continue
        ends = {source: last(source) for source in spec.sources}
        moved = [end for end in ends.values() if end is not None]
        if not moved:
            actions[name] = spec
            continue
        sources = frozenset(end.name if end else source for source, end in ends.items())
        roles = frozenset(r for end in moved for r in end.leave)
        actions[name] = replace(spec, sources=sources, roles=roles,
                                not_by_assignee=any(end.distinct for end in moved))
    for state in states:
        actions[edge(state.after, state.name)] = _move(state.after, state.name, state.enter,
                                                       False)
        actions[edge(state.name, state.after)] = _move(state.name, state.after, state.leave,
                                                       state.distinct)
    return Lifecycle(statuses=tuple(order), actions=actions,
                     custom=tuple(s.name for s in states))

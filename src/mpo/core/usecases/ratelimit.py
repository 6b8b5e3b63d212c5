"""Per-principal rate limits on creating tasks, counted from the audit log.

Counting `create` events in the database (not in a process's memory) makes a limit hold
across CLI processes and servers alike: `agent=100/hour` means at most 100 tasks created by
each agent in any hour, however they were sent. A principal's own entry beats its role's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mpo.core.domain.errors import RateLimited, ValidationError
from mpo.core.domain.vocabulary import NAME_RE, Action

if TYPE_CHECKING:
    from mpo.core.domain.permissions import Actor
    from mpo.core.ports import UnitOfWork

PERIODS = {"second": 1, "minute": 60, "hour": 3_600, "day": 86_400}
_ABBREVIATIONS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*$")
FIELD = "rate_limits"


@dataclass(frozen=True)
class Rate:
    """At most `count` creates in any `seconds`-long window."""

    count: int
    period: str

    @property
    def seconds(self) -> int:
        """The window's length."""
        return PERIODS[self.period]

    def __str__(self) -> str:
        return f"{self.count}/{self.period}"


@dataclass(frozen=True)
class RateLimits:
    """The configured rates, by principal name or by role."""

    rates: Mapping[str, Rate] = field(default_factory=dict)

    def for_actor(self, actor: Actor) -> Rate | None:
        """The rate that applies to `actor`: its own entry, else its role's, else none."""
        return self.rates.get(actor.name) or self.rates.get(actor.role.value)

    def __str__(self) -> str:
        return ", ".join(f"{who}={rate}" for who, rate in self.rates.items())


def rate(who: str, text: str) -> Rate:
    """`N/second|minute|hour|day` (or N/s, N/m, N/h, N/d)."""
    match = _RATE.match(text.lower())
    period = match and _ABBREVIATIONS.get(match.group(2), match.group(2))
    if match is None or period not in PERIODS:
        raise ValidationError(FIELD, f"{who}: {text!r} is not N/second, N/minute, N/hour "
                                     "or N/day")
    return Rate(int(match.group(1)), str(period))


def parse(value: str | Mapping[str, Any]) -> RateLimits:
    """Rates from `agent=100/hour, marketplace-amazon=20/minute` or a TOML table of them;
    keys are role or principal names."""
    if isinstance(value, str):
        pairs: list[tuple[str, Any]] = []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            who, sep, text = part.partition("=")
            if not sep:
                raise ValidationError(FIELD, f"{part!r} is not NAME=N/PERIOD "
                                             "(e.g. agent=100/hour)")
            pairs.append((who.strip(), text.strip()))
    else:
        pairs = list(value.items())
    rates: dict[str, Rate] = {}
    for who, text in pairs:
        if not isinstance(who, str) or not NAME_RE.match(who):
            raise ValidationError(FIELD, f"{who!r} is not a role or principal name")
        if not isinstance(text, str):
            raise ValidationError(FIELD, f"{who}: must be a string like \"100/hour\"")
        rates[who] = rate(who, text)
    return RateLimits(rates)


def check(uow: UnitOfWork, actor: Actor, limits: RateLimits, wanted: int, now: datetime) -> None:
    """Refuse creating `wanted` tasks if that would exceed the actor's rate; the refusal
    says after how many seconds enough of the window will have passed."""
    limit = limits.for_actor(actor)
    if limit is None:
        return
    uow.tasks.hold_rate(actor.name)
    since = now - timedelta(seconds=limit.seconds)
    used = uow.tasks.count_events(actor=actor.name, action=Action.CREATE.value, since=since)
    if used + wanted <= limit.count:
        return
    if wanted > limit.count:
        raise RateLimited(f"rate limit {limit} for {actor.name}: {wanted} tasks at once can "
                          "never fit; send smaller batches", retry_after=limit.seconds)
    # The window must drop this many of its oldest creates before `wanted` more fit.
    oldest = uow.tasks.event_at(actor=actor.name, action=Action.CREATE.value, since=since,
                                offset=used + wanted - limit.count - 1)
    wait = limit.seconds if oldest is None else (oldest - since).total_seconds()
    retry_after = max(1, math.ceil(wait))
    raise RateLimited(f"rate limit {limit} reached for {actor.name}; retry after "
                      f"{retry_after} s", retry_after=retry_after)

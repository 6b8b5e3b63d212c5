"""The week `mpo demo` plays back: who is on the team and what happened to each proposal,
as data. The same week every time (a seeded generator), placed so that it ends at `now`.

A story per proposal: created by its marketplace's agent (or the master orchestrator),
submitted, then approved or rejected with a reason code, assigned to a member, completed
with the hours spent. Steps that would fall after `now` do not happen yet, so the week
ends with work in every status: a queue to review, tasks in progress, a day's numbers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mpo.core.domain.vocabulary import (
    DEFAULT_MARKETPLACES,
    MASTER_AGENT,
    Action,
    Category,
    Priority,
    agent_name,
)

#: The two members who do the approved work.
MEMBERS = ("ana", "bruno")
#: How many proposals the week holds.
PROPOSALS = 48
#: The generator's seed: the same week on every run.
SEED = 24
#: Heavier marketplaces propose more (amazon busiest, kaway quietest).
WEIGHTS = (30, 18, 20, 12, 12, 8)

_WORK = (
    ("Rewrite GEO titles for the top {n} SKUs", Category.OPTIMIZATION),
    ("A+ content for the {n} best sellers", Category.OPTIMIZATION),
    ("Reprice {n} slow movers against the buy box", Category.SCALING),
    ("Localise {n} listings for the new region", Category.SCALING),
    ("Audit images of {n} listings for policy issues", Category.BEST_PRACTICE),
    ("Fill missing attributes on {n} listings", Category.BEST_PRACTICE),
    ("Weekly ads report: ACOS by campaign ({n} campaigns)", Category.ANALYSIS),
    ("Bundle {n} accessories with their main product", Category.SCALING),
    ("Answer the {n} oldest customer questions", Category.BEST_PRACTICE),
    ("Compare return rates of the top {n} SKUs", Category.ANALYSIS),
)
_REJECTIONS = (
    ("duplicate", "same as an open task"),
    ("low-value", "not worth the hours this week"),
    ("needs-detail", "which SKUs? attach the list"),
    ("out-of-scope", "the brand team owns this"),
    ("wrong-marketplace", "this belongs to the shopee agent"),
)


@dataclass(frozen=True)
class Principal:
    """Someone on the demo team."""

    name: str
    role: str
    marketplace: str | None = None


@dataclass(frozen=True)
class Step:
    """One lifecycle move of a proposal, at its time."""

    at: datetime
    action: Action
    assignee: str | None = None
    actual_hours: float | None = None
    reason_code: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Proposal:
    """A task as its agent proposes it, and what happens to it during the week."""

    created_at: datetime
    agent: str
    role: str
    marketplace: str
    draft: dict[str, object]
    steps: list[Step] = field(default_factory=list)


def team() -> list[Principal]:
    """An agent per marketplace, the master orchestrator, two members."""
    agents = [Principal(agent_name(m), "agent", m) for m in DEFAULT_MARKETPLACES]
    return [*agents, Principal(MASTER_AGENT, "master"),
            *(Principal(name, "member") for name in MEMBERS)]


def week(now: datetime) -> list[Proposal]:
    """The week's proposals, oldest first, every step at or before `now`."""
    rng = random.Random(SEED)
    start = now - timedelta(days=7)
    created = sorted(start + timedelta(hours=rng.uniform(0, 160)) for _ in range(PROPOSALS))
    # Every marketplace proposes at least once; then the busiest ones more often.
    markets = [*DEFAULT_MARKETPLACES, *rng.choices(DEFAULT_MARKETPLACES, WEIGHTS,
                                                   k=PROPOSALS - len(DEFAULT_MARKETPLACES))]
    rng.shuffle(markets)
    return [_proposal(rng, at, now, m) for at, m in zip(created, markets, strict=True)]


def _proposal(rng: random.Random, created: datetime, now: datetime,
              marketplace: str) -> Proposal:
    master = rng.random() < 0.15
    title, category = rng.choice(_WORK)
    estimated = rng.choice((1, 2, 2, 3, 4, 4, 6, 8, 12))
    draft: dict[str, object] = {
        "marketplace": marketplace, "title": title.format(n=rng.choice((5, 10, 20, 50))),
        "description": f"Proposed by the {marketplace} agent from last week's numbers.",
        "category": category.value, "estimated_hours": estimated,
        "priority": rng.choices([p.value for p in Priority], (2, 5, 3))[0],
    }
    agent = MASTER_AGENT if master else agent_name(marketplace)
    if master:
        draft["created_by"] = agent
    steps = _story(rng, created, float(estimated))
    return Proposal(created, agent, "master" if master else "agent", marketplace, draft,
                    [s for s in steps if s.at <= now])


def _story(rng: random.Random, created: datetime, estimated: float) -> list[Step]:
    """What happens to one proposal, at increasing times (cut off by the caller)."""
    at = created

    def later(low: float, high: float) -> datetime:
        nonlocal at
        at += timedelta(hours=rng.uniform(low, high))
        return at

    fate = rng.random()
    if fate < 0.08:
        return []  # still a draft: the agent has not submitted it
    steps = [Step(later(0.05, 1), Action.SUBMIT)]
    if fate < 0.3:
        code, reason = rng.choice(_REJECTIONS)
        return [*steps, Step(later(1, 20), Action.REJECT, reason_code=code, reason=reason)]
    steps.append(Step(later(1, 24), Action.APPROVE))
    steps.append(Step(later(0.2, 8), Action.ASSIGN, assignee=rng.choice(MEMBERS)))
    hours = round(estimated * rng.uniform(0.6, 1.6) * 2) / 2 or 0.5
    steps.append(Step(later(hours, hours + 16), Action.COMPLETE, actual_hours=hours))
    return steps

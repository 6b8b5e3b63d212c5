"""`mpo demo`'s week, played through the real use cases: the same permission checks,
transitions and audit events as a real week, each at its own time (an injected clock).

Only ever run on a new, empty database: it starts by creating the first admin.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from mpo.core.domain import demo_week
from mpo.core.domain.clock import Clock
from mpo.core.domain.errors import Conflict
from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.ports import Database
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.identity import add_principal, bootstrap_admin
from mpo.core.usecases.transitions import transition


@dataclass(frozen=True)
class DemoWeek:
    """What the demo made: the admin's token (to look at it with) and what happened."""

    admin_token: str
    principals: int
    tasks: int
    moves: Counter[str]


def play_week(db: Database, admin: str, rules: Rules, now: datetime) -> DemoWeek:
    """Create the team and replay the week ending at `now` on an empty database."""
    token = bootstrap_admin(db, admin)
    if token is None:
        raise Conflict("demo: the database already has principals; the demo needs an "
                       "empty one")
    boss = Actor(admin, Role.ADMIN)
    team = demo_week.team()
    for person in team:
        add_principal(db, boss, person.name, person.role, person.marketplace, rules)
    moves: Counter[str] = Counter()
    proposals = demo_week.week(now)
    for proposal in proposals:
        role = Role(proposal.role)
        agent = Actor(proposal.agent, role,
                      proposal.marketplace if role is Role.AGENT else None)
        made = create_tasks(db, agent, [("task", proposal.draft)], rules,
                            clock=_fixed(proposal.created_at))
        ref = str(made.tasks[0].task.id)
        for step in proposal.steps:
            actor = (agent if step.action is Action.SUBMIT else
                     Actor(_assignee(proposal), Role.MEMBER)
                     if step.action is Action.COMPLETE else boss)
            params = TransitionParams(assignee=step.assignee, actual_hours=step.actual_hours,
                                      reason_code=step.reason_code, reason=step.reason)
            transition(db, actor, step.action, Selection(refs=(ref,)), params, rules,
                       clock=_fixed(step.at))
            moves[step.action.value] += 1
    return DemoWeek(token, len(team) + 1, len(proposals), moves)


def _fixed(at: datetime) -> Clock:
    """A clock stopped at `at`: each step of the week happens at its own time."""
    return lambda: at


def _assignee(proposal: demo_week.Proposal) -> str:
    return next(s.assignee for s in proposal.steps if s.assignee is not None)

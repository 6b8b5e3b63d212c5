"""The approval queue as `mpo review` sees it: the tasks awaiting approval, their agents'
recent approval rates, and decisions made through the same use case as `mpo approve`.

The terminal app holds no rule of its own; everything it decides goes through here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mpo.core.domain.errors import UsageError
from mpo.core.domain.permissions import Verb
from mpo.core.domain.selection import Selection, TaskQuery
from mpo.core.domain.vocabulary import Action, Status

if TYPE_CHECKING:
    from mpo.core.domain.permissions import Actor
    from mpo.core.domain.results import BatchResult
    from mpo.core.domain.validation import Rules
    from mpo.core.ports import Database
    from mpo.core.tables.models import Task

#: The window of an agent's "recent" approval rate.
RATE_DAYS = 30


@dataclass(frozen=True)
class Rate:
    """How many of an agent's proposals were decided lately, and how many approved."""

    approved: int
    decided: int

    @property
    def share(self) -> float | None:
        """approved / decided, or None before any decision."""
        return self.approved / self.decided if self.decided else None


@dataclass(frozen=True)
class Queue:
    """The tasks awaiting approval (oldest first) and the recent rate of each agent."""

    tasks: list[Task]
    rates: dict[str, Rate]


def load_queue(db: Database, actor: Actor, rules: Rules, *,
               marketplaces: Sequence[str] = (),
               clock: Callable[[], datetime] | None = None,
               team: str | None = None) -> Queue:
    """The queue as the actor may see it (with `team`: that team's marketplaces); rates
    only if the actor may read stats."""
    from mpo.core.usecases.reads import list_tasks
    from mpo.core.usecases.stats import stats

    if team is not None:
        from mpo.core.usecases.team_lookup import narrowed

        with db.read() as uow:
            marketplaces = narrowed(uow, actor, team, marketplaces)
    query = TaskQuery(statuses=(Status.AWAITING_APPROVAL.value,),
                      marketplaces=tuple(marketplaces), newest_first=False)
    tasks = list_tasks(db, actor, query, rules)
    rates: dict[str, Rate] = {}
    if actor.may(Verb.STATS):
        report = stats(db, actor, rules, since=f"-{RATE_DAYS}d", by="agent", clock=clock,
                       team=team)
        rates = {t.key: Rate(t.approved, t.approved + t.rejected)
                 for t in report.aggregates.agents if t.key is not None}
    return Queue(tasks, rates)


def decide(db: Database, actor: Actor, rules: Rules, action: Action,
           task_ids: Sequence[uuid.UUID], *, reason_code: str | None = None,
           reason: str | None = None, note: str | None = None) -> BatchResult:
    """Approve (with an optional `note`) or reject (with a code and an optional `reason`)
    these tasks as one batch, all or nothing (as `mpo approve` does)."""
    from mpo.core.domain.action_values import transition_params
    from mpo.core.usecases.transitions import transition

    if action not in (Action.APPROVE, Action.REJECT):
        raise UsageError(f"review decides approve or reject, not {action}")
    params = transition_params(rules, action, reason_code=reason_code, reason=reason,
                               note=note)
    selection = Selection(refs=tuple(str(t) for t in task_ids))
    return transition(db, actor, action, selection, params, rules)


def waited(task: Task, now: datetime) -> timedelta:
    """How long a task has been waiting for a decision."""
    return now - (task.submitted_at or task.created_at)

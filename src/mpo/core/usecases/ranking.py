"""The use case behind `mpo list --sort score`: the tasks a query matches, scored by
`mpo.core.domain.score` and ordered best first, in one read transaction.

The agents' approval rates come from one aggregate read, the predicted hours from one
history read per (agent, marketplace, category) among the tasks listed. A due date ends at
midnight after it in the configured time zone (as `mpo status` counts a task overdue only
the day after its due date).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from mpo.core.domain import filter_values, permissions, timeparse
from mpo.core.domain.estimate import predict
from mpo.core.domain.permissions import Actor, Role, Verb
from mpo.core.domain.score import Score, Weights, score
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.workflow_apply import known_statuses

if TYPE_CHECKING:
    from mpo.core.domain.selection import TaskQuery
    from mpo.core.domain.validation import Rules
    from mpo.core.ports import Database
    from mpo.core.tables.models import Task


@dataclass(frozen=True)
class Ranked:
    """A task, its score, and the values the score was computed from."""

    task: Task
    score: Score
    approval_rate: float | None
    predicted_hours: float


def due_at(due: date | None, zone: str) -> datetime | None:
    """The instant a due date ends: midnight after it in `zone`, as UTC."""
    if due is None:
        return None
    return timeparse.start_of_day(due + timedelta(days=1), ZoneInfo(zone))


def rank_tasks(db: Database, actor: Actor, query: TaskQuery, rules: Rules, weights: Weights,
               *, clock: Callable[[], datetime] | None = None) -> list[Ranked]:
    """The tasks a query matches, highest score first (ties: oldest first, then by id);
    `query.limit` applies after ranking."""
    from mpo.core.domain.clock import utcnow

    with refusals_recorded(db, actor, Verb.LIST):
        permissions.require(actor, Verb.LIST)
        filter_values.check(query, rules, query.statuses,
                           known_statuses(db, query.statuses))
        scoped = permissions.scope(actor, query)
        now = (clock or utcnow)()
        scope = actor.marketplace if actor.role is Role.AGENT else None
        with db.read() as uow:
            tasks = uow.tasks.find(replace(scoped, limit=None))
            decisions = uow.history.decisions(sorted({t.created_by for t in tasks}))
            groups = {(t.created_by, t.marketplace, t.category) for t in tasks}
            histories = {g: uow.history.ratios(agent=g[0], marketplace=g[1], category=g[2],
                                               scope=scope) for g in sorted(groups)}
    ranked = []
    for task in tasks:
        approved, rejected = decisions.get(task.created_by, (0, 0))
        rate = approved / (approved + rejected) if approved + rejected else None
        found = predict(task.estimated_hours,
                        histories[(task.created_by, task.marketplace, task.category)])
        hours = task.estimated_hours if found is None else found.predicted_hours
        result = score(priority=task.priority, created_at=task.created_at,
                       due_date=due_at(task.due_date, rules.timezone),
                       approval_rate=rate, predicted_hours=hours, now=now, weights=weights)
        ranked.append(Ranked(task, result, rate, hours))
    ranked.sort(key=lambda r: (-r.score.total, r.task.created_at, str(r.task.id)))
    return ranked[:query.limit] if query.limit is not None else ranked

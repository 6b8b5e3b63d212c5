"""`mpo stats`: the report for a window, computed by the database in one read transaction.

This module decides the window and the tasks (`mpo.core.domain.stats_query`), asks the store for
the aggregates, and `mpo.core.domain.stats_report` turns them into the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from mpo.core.domain import permissions, timeparse, validation
from mpo.core.domain.clock import utcnow
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.stats_query import DEFAULT_BACKLOG_AGE, By, StatsQuery, resolve_window
from mpo.core.domain.stats_report import Report

if TYPE_CHECKING:
    from mpo.core.domain.validation import Rules
    from mpo.core.ports import Database


def stats(
    db: Database,
    actor: Actor,
    rules: Rules,
    *,
    since: str | None = None,
    until: str | None = None,
    day: str | None = None,
    zone: str = "UTC",
    marketplaces: Sequence[str] = (),
    by: str | None = None,
    backlog_age: str | None = None,
    clock: Callable[[], datetime] | None = None,
    team: str | None = None,
) -> Report:
    """The report for a window, computed by the database in one read transaction; with
    `team` (and by default for a team-bound actor), that team's marketplaces only."""
    from mpo.core.usecases.identity import refusals_recorded
    from mpo.core.usecases.team_lookup import narrowed

    with refusals_recorded(db, actor, Verb.STATS):
        permissions.require(actor, Verb.STATS)
    grouping = By(validation.one_of("by", by or By.MARKETPLACE.value, [b.value for b in By]))
    for marketplace in marketplaces:
        validation.one_of("marketplace", marketplace, list(rules.marketplaces))
    age = timeparse.parse_duration("backlog-age", backlog_age or DEFAULT_BACKLOG_AGE)
    now = (clock or utcnow)()
    window = resolve_window(since=since, until=until, day=day, zone=zone, now=now)
    with db.read() as uow:
        if team is not None or actor.team_bound:
            with refusals_recorded(db, actor, Verb.STATS):
                marketplaces = narrowed(uow, actor, team, marketplaces)
        query = StatsQuery(window, tuple(dict.fromkeys(marketplaces)), grouping, now - age)
        aggregates = uow.stats.aggregate(query)
    execution = {t.key: (t.executed, t.execution_hours / t.executed)
                 for t in aggregates.agents if t.key is not None and t.executed}
    return Report(query, aggregates, now, age, execution)

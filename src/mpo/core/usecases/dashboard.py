"""`mpo dashboard`: what a wall screen shows, and a cheap way to know when to look again.

A refresh first reads a change marker (the newest audit event's id: every change writes
one); only when it moved are the aggregates read again, each from an index.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from mpo.core.domain import permissions
from mpo.core.domain.dashboard_snapshot import Snapshot
from mpo.core.domain.permissions import Verb
from mpo.core.domain.timeparse import start_of_day

if TYPE_CHECKING:
    from mpo.core.domain.permissions import Actor
    from mpo.core.ports import Database

#: Approvals per day are shown for this many days, today included.
DAYS = 7


def marker(db: Database, actor: Actor) -> int:
    """The change marker: it moves whenever anything in the database changes."""
    permissions.require(actor, Verb.STATS)
    with db.read() as uow:
        return uow.dashboard.marker()


def snapshot(db: Database, actor: Actor, *, zone: str = "UTC",
             clock: Callable[[], datetime] | None = None, team: str | None = None) -> Snapshot:
    """The dashboard's numbers, in one read transaction; with `team` (and by default for a
    team-bound actor), that team's marketplaces only."""
    from mpo.core.domain.clock import utcnow
    from mpo.core.usecases.team_lookup import narrowed

    permissions.require(actor, Verb.STATS)
    now = (clock or utcnow)()
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    edges = [start_of_day(d, tz) for d in days] + [start_of_day(today + timedelta(days=1), tz)]
    with db.read() as uow:
        q = uow.dashboard
        if team is not None or actor.team_bound:
            q.within(narrowed(uow, actor, team))
        return Snapshot(
            marker=q.marker(),
            statuses=q.statuses(),
            awaiting=q.awaiting_by_marketplace(),
            oldest=q.oldest_awaiting(),
            approvals=list(zip(days, q.approvals_between(edges), strict=True)),
            agents=q.agents_last_active(edges[0]),
        )

"""`mpo status`: the orchestrator's view (the seed's `getStatus`) and its alerts.

Per agent: its marketplace, last task created, tasks today and in the last 7 days, its
approval rate over 30 days, and its health score and band over 30 days (`mpo.core.domain.health`,
the same score `mpo stats` shows: approval 0.5, completion 0.3, speed 0.2). The queue:
pending, awaiting approval, approved but unassigned, in progress, overdue. The claims: who
holds which task under a lease, and for how much longer. Alerts compare those numbers with
the thresholds in config (and name leases that ran out). The database computes every number
(`mpo.store.status_queries`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from mpo.core.domain import health, permissions, timeparse
from mpo.core.domain.clock import utcnow
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.status_report import Claim, StatusQuery, StatusReport

if TYPE_CHECKING:
    from mpo.core.ports import Database

#: The window of the approval rate and of the health score's components.
APPROVAL_DAYS = 30


@dataclass(frozen=True)
class Thresholds:
    """When `mpo status` raises an alert (config keys `alert_*`)."""

    awaiting_over: int = 500
    silent_hours: int = 24
    stale_days: int = 7


def alerts(report: StatusReport, limits: Thresholds, now: datetime) -> list[dict[str, Any]]:
    """The alerts the seed's architecture lists, each with its number and threshold."""
    found: list[dict[str, Any]] = []
    q = report.queue
    if q.awaiting_approval > limits.awaiting_over:
        found.append({"alert": "awaiting_backlog", "value": q.awaiting_approval,
                      "threshold": limits.awaiting_over,
                      "message": f"{q.awaiting_approval} tasks await approval "
                                 f"(more than {limits.awaiting_over})"})
    silent_since = now - timedelta(hours=limits.silent_hours)
    for agent in report.agents:
        if agent.last_created_at is None or agent.last_created_at < silent_since:
            found.append({"alert": "agent_silent", "agent": agent.agent,
                          "value": agent.last_created_at, "threshold": limits.silent_hours,
                          "message": f"{agent.agent} has created nothing for "
                                     f"{limits.silent_hours} h"})
    if q.stale:
        found.append({"alert": "stale_proposals", "value": q.stale,
                      "threshold": limits.stale_days,
                      "message": f"{q.stale} tasks pending or awaiting approval for more than "
                                 f"{limits.stale_days} days"})
    lost = [c for c in report.claims if c.lease_left_s <= 0]
    if lost:
        found.append({"alert": "lost_leases", "value": len(lost), "threshold": 0,
                      "message": f"{len(lost)} claimed tasks' leases ran out (their executors "
                                 "stopped; the next claim or mpo expire returns them)"})
    if q.overdue:
        found.append({"alert": "overdue", "value": q.overdue, "threshold": 0,
                      "message": f"{q.overdue} open tasks are past their due date"})
    return found


def status(db: Database, actor: Actor, *, zone: str = "UTC",
           limits: Thresholds = Thresholds(), now: datetime | None = None,
           team: str | None = None) -> StatusReport:
    """The orchestrator's status as of `now`, with the alerts it raises; with `team` (and
    by default for a team-bound actor), that team's marketplaces only."""
    from mpo.core.usecases.team_lookup import narrowed

    permissions.require(actor, Verb.STATUS)
    now = now or utcnow()
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    query = StatusQuery(
        now=now, today=today, today_start=timeparse.start_of_day(today, tz),
        week_start=now - timedelta(days=7), approval_since=now - timedelta(days=APPROVAL_DAYS),
        stale_before=now - timedelta(days=limits.stale_days))
    with db.read() as uow:
        if team is not None or actor.team_bound:
            query = replace(query, marketplaces=narrowed(uow, actor, team))
        report = uow.status.report(query)
        execution = uow.history.execution(query.approval_since, now)
        report.claims = [Claim(
            str(t.id), t.title, t.marketplace, t.assigned_to, t.started_at, t.lease_expires_at,
            int((t.lease_expires_at - now).total_seconds()) if t.lease_expires_at else 0)
            for t in uow.leases.held()
            if not query.marketplaces or t.marketplace in query.marketplaces]
    scored = {h.agent: h for h in health.agents(
        {a.agent: (a.approved_30d, a.rejected_30d, a.started_30d, a.completed_30d)
         for a in report.agents}, execution)}
    for agent in report.agents:
        decided = agent.approved_30d + agent.rejected_30d
        agent.approval_rate = agent.approved_30d / decided if decided else None
        found = scored[agent.agent].score
        agent.health_score = None if found is None else round(found, 1)
        agent.health = ("unknown" if agent.health_score is None
                        else health.band(agent.health_score))
    report.alerts = alerts(report, limits, now)
    report.generated_at = now
    return report

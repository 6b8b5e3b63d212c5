"""`mpo status`: the per-agent numbers and health (mpo.core.domain.health), the queue, and the
alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mpo.core.domain.errors import PermissionDenied
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.vocabulary import Status
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.status import Thresholds, status
from mpo.store.database import SqlDatabase
from tests.builders import ADMIN, RULES, draft, proposer, task_in


def test_status_counts_agents_and_the_queue_and_raises_alerts(db: SqlDatabase) -> None:
    now = datetime.now(UTC)
    for status_ in (Status.APPROVED, Status.APPROVED, Status.APPROVED, Status.REJECTED,
                    Status.AWAITING_APPROVAL, Status.IN_PROGRESS, Status.PENDING):
        task_in(db, status_)
    yesterday = (now - timedelta(days=1)).date().isoformat()
    proposer(db, "marketplace-shopee", "shopee")
    create_tasks(db, ADMIN, [("late", draft(due_date=yesterday,
                                                         created_by="marketplace-shopee",
                                                         marketplace="shopee"))], RULES,
                              clock=lambda: now - timedelta(days=9))
    report = status(db, ADMIN, limits=Thresholds(awaiting_over=0, silent_hours=24,
                                                 stale_days=7))
    agents = {a.agent: a for a in report.agents}
    amazon = agents["marketplace-amazon"]
    assert (amazon.marketplace, amazon.tasks_today, amazon.tasks_7d) == ("amazon", 7, 7)
    assert (amazon.approved_30d, amazon.rejected_30d) == (4, 1)  # in_progress was approved
    assert (amazon.started_30d, amazon.completed_30d) == (1, 0)
    # mpo.core.domain.health: approval 0.8 x 0.5, completion 0 of 1 started x 0.3, no speed (nothing
    # completed) -> (0.5 x 80 + 0.3 x 0) / 0.8 = 50.0: poor (below fair's 60), though the
    # approval rate alone (0.8) would be good.
    assert (amazon.approval_rate, amazon.health_score, amazon.health) == (0.8, 50.0, "poor")
    shopee = agents["marketplace-shopee"]
    assert (shopee.approval_rate, shopee.health_score, shopee.health) == (None, None,
                                                                          "unknown")
    assert agents["marketplace-shopee"].tasks_7d == 0
    q = report.queue
    assert (q.pending, q.awaiting_approval, q.approved_unassigned, q.in_progress, q.overdue,
            q.stale) == (2, 1, 3, 1, 1, 1)
    assert {a["alert"] for a in report.alerts} == {"awaiting_backlog", "agent_silent",
                                                   "stale_proposals", "overdue"}
    assert [a["agent"] for a in report.alerts if a["alert"] == "agent_silent"] == [
        "marketplace-shopee"]
    assert report.document()["queue"]["overdue"] == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_members_and_agents_may_not_read_the_status(db: SqlDatabase) -> None:
    for role in (Role.MEMBER, Role.AGENT):
        with pytest.raises(PermissionDenied):
            status(db, Actor("x", role, "amazon"))

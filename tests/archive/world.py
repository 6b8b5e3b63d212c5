"""A realistic history for the archive tests: the demo's week (an agent per marketplace,
the master, two members; approvals, rejections with codes, completed work) ending a day
ago, the hand-checked day of `tests/stats_fixture` in March, and a few cancellations."""

from __future__ import annotations

from datetime import timedelta

from mpo.core.domain.clock import utcnow
from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.demo import play_week
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from tests import migrated
from tests.stats_fixture import build

ADMIN = "boss"


def history(url: str) -> str:
    """Fill the (empty) database at `url`; the admin's token."""
    migrated.prepare(url)
    db = SqlDatabase(url)
    now = utcnow() - timedelta(days=1)
    token = play_week(db, ADMIN, Rules(), now).admin_token
    build(url)
    boss = Actor(ADMIN, Role.ADMIN)
    agent = Actor("marketplace-shopee", Role.AGENT, "shopee")
    for days in (2, 5, 9):
        made = create_tasks(db, agent, [("task", {
            "marketplace": "shopee", "title": f"cancelled {days}d ago",
            "category": "optimization", "estimated_hours": 2})], Rules(),
            clock=lambda d=days: now - timedelta(days=d + 1))
        transition(db, boss, Action.CANCEL, Selection(refs=(str(made.tasks[0].task.id),)),
                   TransitionParams(reason_code="duplicate", reason="dup"), Rules(),
                   clock=lambda d=days: now - timedelta(days=d))
    return token

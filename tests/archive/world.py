"""A realistic history for the archive tests: the demo's week (an agent per marketplace,
the master, two members; approvals, rejections with codes, completed work) ending a day
ago, the hand-checked day of `tests/stats_fixture` in March, and a few cancellations."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path

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
from mpo.store.engine import FILE_MODE
from tests import migrated, pg_pool
from tests.conftest import RUN_ID, _server_url
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


class Histories:
    """`history` made once per backend, on first use, for a module whose tests each change
    their database: each test's (empty) database becomes a copy of it. The demo's week
    ends a day before it was made; nothing in it lies within minutes of a day boundary
    the tests ask about (`--before 4d`), so a copy made later in the module is the same."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.made: dict[str, tuple[str, str]] = {}

    def copy(self, url: str) -> str:
        """Make the empty database at `url` a copy of its backend's history; the admin's
        token."""
        sqlite = url.startswith("sqlite")
        kind = "sqlite" if sqlite else "postgres"
        if kind not in self.made:
            made = (f"sqlite:///{self.folder / 'history.db'}" if sqlite else
                    f"{_server_url().rpartition('/')[0]}/{_name()}")
            if not sqlite:
                pg_pool.fresh(made)
            self.made[kind] = (made, history(made))
        source, token = self.made[kind]
        if sqlite:
            target = Path(url.removeprefix("sqlite:///"))
            with closing(sqlite3.connect(source.removeprefix("sqlite:///"))) as read, \
                    closing(sqlite3.connect(target)) as write:
                read.backup(write)
            os.chmod(target, FILE_MODE)
        else:
            _replace(url, source.rpartition("/")[2])
        return token

    def close(self) -> None:
        """Drop the PostgreSQL history (its copies are the tests' own)."""
        if "postgres" in self.made:
            pg_pool.discard(self.made["postgres"][0])


def histories(folder: Path) -> Iterator[Histories]:
    """A module fixture's body: `Histories` in `folder`, closed after the module."""
    made = Histories(folder)
    try:
        yield made
    finally:
        made.close()


def _name() -> str:
    return f"mpo_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"


def _replace(url: str, template: str) -> None:
    """The empty database at `url` set aside (dropped off the test's path) and a copy of
    `template`, made ahead by the pool, renamed into its place."""
    base, _, name = url.rpartition("/")
    with migrated._connect(f"{base}/postgres") as conn:
        conn.execute(f'ALTER DATABASE "{name}" RENAME TO "{name}_emptied"')
    pg_pool.discard(f"{base}/{name}_emptied")
    pg_pool.fresh(url, template)

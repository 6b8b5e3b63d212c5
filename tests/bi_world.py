"""Data for the BI view tests, and the views read back as a BI tool reads them.

`week` plays `mpo demo`'s week (48 proposals from seven agents across six marketplaces,
decisions, rejections with codes, work in every status) through the real use cases on a
migrated database, at a fixed time, plus a cancelled task with a listing and a due date.
On PostgreSQL the views are read by a login in `mpo_bi`; on SQLite from the file opened
read-only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from mpo.config import urls
from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.demo import play_week
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from mpo.store.migrate import MIGRATIONS
from tests.migrated import upgrade
from tests.pg_app import app_login

#: The week ends here (mid-afternoon, so the last day is a partial one).
NOW = datetime(2026, 3, 9, 15, 30, tzinfo=UTC)
ADMIN = "demo-admin"


def week(url: str) -> str:
    """The demo's week in the (empty) database at `url`; the admin's token."""
    upgrade(url)
    db = SqlDatabase(url)
    played = play_week(db, ADMIN, Rules(), NOW)
    agent = Actor("marketplace-amazon", Role.AGENT, "amazon")
    made = create_tasks(db, agent, [("task", {
        "marketplace": "amazon", "title": "Audit the listing", "category": "analysis",
        "estimated_hours": 2, "listing_id": "B00042", "due_date": "2026-03-20"})],
        Rules(), clock=lambda: NOW.replace(hour=9))
    transition(db, Actor(ADMIN, Role.ADMIN), Action.CANCEL,
               Selection(refs=(str(made.tasks[0].task.id),)),
               TransitionParams(reason_code="obsolete", reason="done by hand"), Rules(),
               clock=lambda: NOW.replace(hour=10))
    return played.admin_token


def bi_login(url: str) -> AbstractContextManager[str]:
    """A URL of `url`'s database for a new login role in mpo_bi (dropped afterwards)."""
    return app_login(url, "mpo_bi")


@contextmanager
def reader(url: str) -> Iterator[Any]:
    """A DB-API connection that reads the views as a BI tool would: the SQLite file
    read-only, PostgreSQL as an mpo_bi login."""
    if urls.is_sqlite(url):
        path = urls.sqlite_path(url)
        conn: Any = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            yield conn
        finally:
            conn.close()
        return
    import psycopg

    with bi_login(url) as login, psycopg.connect(
            login.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        yield conn


def rows(conn: Any, view: str) -> list[dict[str, Any]]:
    """Every row of `view`, as dicts with days as dates and stamps as aware datetimes."""
    cursor = conn.execute(f"SELECT * FROM {view}")
    names = [d[0] for d in cursor.description]
    return [{n: _value(n, v) for n, v in zip(names, row, strict=True)} for row in cursor]


def _value(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in ("day", "created_day", "due_date"):
        return date.fromisoformat(value)
    if name == "at" or name.endswith("_at"):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def bi_revision() -> tuple[str, str]:
    """(the BI views' revision, the one before it), whatever they are numbered."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    for script in ScriptDirectory.from_config(config).walk_revisions():
        if script.path.endswith("_bi_views.py"):
            assert isinstance(script.down_revision, str)
            return script.revision, script.down_revision
    raise AssertionError("no *_bi_views.py migration")


def upgrade_to(url: str, revision: str) -> None:
    """Alembic, as the owner, to an older revision: a database made before the views."""
    engine = create_engine(url)
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def older_views(connection: Any) -> None:
    """Views as an older mpo left them: named as today's, reading the live tables only."""
    for view, table in (("bi_tasks", "task"), ("bi_events", "task_event"),
                        ("bi_daily", "task")):
        connection.exec_driver_sql(f"CREATE VIEW {view} AS SELECT id FROM {table}")

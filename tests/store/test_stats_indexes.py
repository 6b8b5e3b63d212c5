"""Migration 0004 and the models agree on the task table's indexes, on both databases,
and HEAD names Alembic's newest revision."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Index, text

from mpo.core.tables.models import Task
from mpo.core.tables.stats_indexes import applies
from mpo.store.database import SqlDatabase
from mpo.store.migrate import MIGRATIONS, upgrade
from mpo.store.migrations import HEAD
from tests.store.test_migrate import UNMODELLED_INDEXES


def declared(dialect: str) -> set[str]:
    """The task indexes the models create on `dialect` (some are SQLite's alone)."""
    indexes: set[Index] = Task.__table__.indexes  # type: ignore[attr-defined]
    return {i.name for i in indexes if i.name and applies(i, dialect)}


def test_the_migrated_indexes_are_the_declared_ones(database_url: str) -> None:
    upgrade(database_url)
    db = SqlDatabase(database_url)
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' "
                                     "AND tbl_name = 'task' AND sql IS NOT NULL"))
        else:
            rows = conn.execute(text("SELECT indexname FROM pg_indexes WHERE "
                                     "tablename = 'task' AND indexname <> 'task_pkey'"))
        assert {r[0] for r in rows} - UNMODELLED_INDEXES == declared(conn.dialect.name)


def test_head_is_alembics_newest_revision() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD

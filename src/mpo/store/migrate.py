"""Schema upgrades through Alembic, serialised so concurrent `mpo init` calls are safe."""

from __future__ import annotations

from pathlib import Path

from mpo.config import urls
from mpo.store import bi_views
from mpo.store.driver_errors import translated
from mpo.store.engine import WRITE, make_engine
from mpo.store.migrations import HEAD

MIGRATIONS = Path(__file__).parent / "migrations"
#: Any constant will do: it names the lock PostgreSQL sessions queue on during upgrades.
_PG_LOCK = 0x6D706F  # "mpo"


def upgrade(url: str) -> tuple[str | None, str]:
    """Bring the database at `url` to the newest revision; return (before, after)."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    url = urls.normalise(url)
    engine = make_engine(url, create=True)
    with translated(url), engine.execution_options(**{WRITE: True}).begin() as connection:
        if not urls.is_sqlite(url):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
        before = MigrationContext.configure(connection).get_current_revision()
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        # The BI views pin the columns they read: migrations run without them, and they
        # are made as this mpo defines them once the schema is at head (bi_views).
        if before != HEAD:
            bi_views.drop(connection)
        command.upgrade(config, "head")
        if before != HEAD:
            bi_views.install(connection)
        after = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    return before, after or ""


def current(url: str) -> str | None:
    """The revision the database is at, or None if it has no mpo schema."""
    from alembic.runtime.migration import MigrationContext

    url = urls.normalise(url)
    engine = make_engine(url)
    with translated(url), engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()

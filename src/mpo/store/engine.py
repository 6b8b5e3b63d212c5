"""Engines: SQLite tuned for many concurrent writer processes, or PostgreSQL via psycopg 3.

SQLite: WAL, busy_timeout, synchronous=FULL, foreign keys; pysqlite's implicit BEGIN is
disabled so every write transaction starts with `BEGIN IMMEDIATE`. With a plain (deferred)
BEGIN two writers both read, then both try to upgrade to the write lock and one fails at once
with "database is locked" whatever busy_timeout says; IMMEDIATE makes them queue instead.
NullPool everywhere: a CLI process runs one or two transactions, and a pooled SQLite
connection across fork or threads is a hazard, not a saving.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mpo.core.errors import DatabaseError
from mpo.store import urls

if TYPE_CHECKING:
    from sqlalchemy import Engine

BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 10
#: Execution option telling the `begin` hook to take SQLite's write lock up front.
WRITE = "mpo_write"


def require_database(url: str) -> None:
    """Refuse an SQLite URL whose file does not exist (connecting would create it empty)."""
    path = urls.sqlite_path(url) if urls.is_sqlite(url) else None
    if path is not None and not path.exists():
        raise DatabaseError(f"no mpo database at {path}; run `mpo init` to create it")


def make_engine(url: str, *, create: bool = False) -> Engine:
    """An engine for a normalised URL; an SQLite file must exist unless `create`."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    if not urls.is_sqlite(url):
        try:
            import psycopg  # noqa: F401  (SQLAlchemy would fail later, with a traceback)
        except ImportError:
            raise DatabaseError(
                "PostgreSQL needs the psycopg driver: pip install 'mpo[postgres]'"
            ) from None
        from mpo.core.models import Task
        from mpo.core.stats_indexes import with_postgresql_options

        with_postgresql_options(Task.__table__.indexes)  # type: ignore[attr-defined]
        return create_engine(
            url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
        )
    path = urls.sqlite_path(url)
    if create and path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not create:
        require_database(url)
    engine = create_engine(
        url, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            f"busy_timeout={BUSY_TIMEOUT_MS}",
            "synchronous=FULL",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine

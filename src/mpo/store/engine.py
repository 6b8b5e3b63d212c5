"""Engines: SQLite tuned for many concurrent writer processes, or PostgreSQL via psycopg 3.

SQLite: WAL, busy_timeout, synchronous=FULL, foreign keys; pysqlite's implicit BEGIN is
disabled so every write transaction starts with `BEGIN IMMEDIATE`. With a plain (deferred)
BEGIN two writers both read, then both try to upgrade to the write lock and one fails at once
with "database is locked" whatever busy_timeout says; IMMEDIATE makes them queue instead.
NullPool for the CLI: a process runs one or two transactions, and a pooled SQLite
connection across fork is a hazard, not a saving. `mpo serve` asks for a pool (`pooled`):
one long-lived process answering many requests from its threads.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from mpo.config import urls
from mpo.core.domain.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy import Engine

BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_S = 10
#: Execution option telling the `begin` hook to take SQLite's write lock up front.
WRITE = "mpo_write"
#: Who may read a new SQLite file (and the -wal and -shm files SQLite derives from it).
FILE_MODE = 0o600


def require_database(url: str) -> None:
    """Refuse an SQLite URL whose file does not exist (connecting would create it empty)."""
    path = urls.sqlite_path(url) if urls.is_sqlite(url) else None
    if path is not None and not path.exists():
        raise DatabaseError(f"no mpo database at {path}; run `mpo init` to create it")


def make_engine(url: str, *, create: bool = False, pooled: bool = False,
                behind_pooler: bool = False) -> Engine:
    """An engine for a normalised URL; an SQLite file must exist unless `create`.
    `pooled` keeps connections open between transactions (a server, not the CLI);
    `behind_pooler`: the URL is a PgBouncer in transaction mode, so no statement is
    prepared (a prepared statement lives on one server connection, the next transaction
    may get another; PgBouncer before 1.21 does not track them)."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool, QueuePool

    # A server keeps as many connections as its threads may use at once (anyio's pool: 40
    # threads): an overflow connection is closed when given back, so the next request paid
    # a new connection and its PRAGMAs (a tenth of an SQLite create under load, py-spy).
    # PostgreSQL keeps fewer, as its server counts connections (max_connections).
    size = (40, 0) if urls.is_sqlite(url) else (8, 24)
    pool: dict[str, Any] = (
        {"poolclass": QueuePool, "pool_size": size[0], "max_overflow": size[1],
         "pool_pre_ping": False}
        if pooled else {"poolclass": NullPool}
    )

    if not urls.is_sqlite(url):
        try:
            import psycopg  # noqa: F401  (SQLAlchemy would fail later, with a traceback)
        except ImportError:
            raise DatabaseError(
                "PostgreSQL needs the psycopg driver: pip install 'mpo[postgres]'"
            ) from None
        # hide_parameters: a statement in an error or traceback never shows its values,
        # among them the token `mpo_authenticate` is called with (issue 10).
        from mpo.core.tables.models import Task
        from mpo.core.tables.stats_indexes import with_postgresql_options

        with_postgresql_options(Task.__table__.indexes)  # type: ignore[attr-defined]
        connect: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
        if behind_pooler:
            connect["prepare_threshold"] = None
        return create_engine(url, connect_args=connect, hide_parameters=True, **pool)
    path = urls.sqlite_path(url)
    if create and path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite gives the -wal and -shm files the database file's mode: create it 0600.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    elif not create:
        require_database(url)
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": not pooled},
        hide_parameters=True, **pool,
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

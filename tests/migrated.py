"""A migrated database in milliseconds: a copy of a template, not fifteen migrations a test.

Each test process migrates one template per backend, once, with the real migrations
(`mpo.store.migrate.upgrade`); a test that needs a migrated database gets a copy of it: the
file on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL, made ahead by
tests/pg_pool.py (issue 26). A database that is not empty is upgraded for real, so tests of
the migrations themselves see them run.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
import uuid
from functools import cache
from pathlib import Path

from mpo.config import urls
from mpo.store.engine import FILE_MODE
from mpo.store.migrate import upgrade as real_upgrade
from mpo.store.migrations import HEAD
from tests import pg_pool


def upgrade(url: str) -> tuple[str | None, str]:
    """As `mpo.store.migrate.upgrade`, from a template copy when the database is empty."""
    return (None, HEAD) if prepare(url) else real_upgrade(url)


def prepare(url: str) -> bool:
    """Make an empty (or missing) database at `url` a copy of the migrated template;
    False, touching nothing, when it holds anything already."""
    url = urls.normalise(url)
    if urls.is_sqlite(url):
        path = urls.sqlite_path(url)
        if path is None or (path.exists() and path.stat().st_size > 0):
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_sqlite_template(), path)
        os.chmod(path, FILE_MODE)
        return True
    return _pg_copy(url)


@cache
def _sqlite_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="mpo-template-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "mpo.db"
    real_upgrade(f"sqlite:///{path}")
    for derived in ("-wal", "-shm"):
        assert not Path(f"{path}{derived}").exists(), "the template must be one whole file"
    return path


def _connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1),
                           autocommit=True, connect_timeout=5)


def _pg_copy(url: str) -> bool:
    base, _, name = url.rpartition("/")
    with _connect(url) as conn:
        tables = conn.execute("SELECT count(*), pg_backend_pid() FROM pg_tables "
                              "WHERE schemaname = 'public'").fetchone()
    if tables is None or tables[0]:
        return False
    template = _pg_template(base)
    import psycopg

    with _connect(f"{base}/postgres") as conn:
        _gone(conn, tables[1])
        try:  # out of the way at once, dropped later by the pool
            conn.execute(f'ALTER DATABASE "{name}" RENAME TO "{name}_emptied"')
            pg_pool.discard(f"{base}/{name}_emptied")
        except psycopg.errors.ObjectInUse:  # sessions of the test's own still on it
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    pg_pool.fresh(url, template)  # a copy made ahead by the pool, renamed
    return True


def _gone(conn, pid: int) -> None:  # type: ignore[no-untyped-def]
    """Wait (briefly) for the backend of a connection just closed to end: a database with a
    session still on it is not renamed before PostgreSQL's next look, 100 ms later."""
    for _ in range(100):
        if not conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            return
        time.sleep(0.002)


@cache
def _pg_template(base: str) -> str:
    name = f"mpo_template_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with _connect(f"{base}/postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    atexit.register(_drop, base, name)
    real_upgrade(f"{base}/{name}")
    return name


def _drop(base: str, name: str) -> None:
    with _connect(f"{base}/postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

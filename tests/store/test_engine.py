"""SQLite engines: the pragmas every connection gets, and BEGIN IMMEDIATE for writers.

With a plain (deferred) BEGIN two writers both read, then both try to take the write lock
and one fails at once with "database is locked"; IMMEDIATE takes the lock up front, so
writers queue behind each other (up to busy_timeout) while WAL readers carry on.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.pool import NullPool

from mpo.core.domain.errors import DatabaseError, ExitCode
from mpo.core.domain.selection import TaskQuery
from mpo.core.tables.models import Task, TaskEvent
from mpo.core.usecases.reads import list_tasks
from mpo.store.database import SqlDatabase
from mpo.store.engine import BUSY_TIMEOUT_MS, make_engine
from tests import readback
from tests.builders import ADMIN, RULES, make_task
from tests.migrated import upgrade


@pytest.fixture
def path(tmp_path: Path) -> Path:
    upgrade(f"sqlite:///{tmp_path / 'mpo.db'}")
    return tmp_path / "mpo.db"


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def rival(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection that never waits for a lock."""
    return sqlite3.connect(path, timeout=0, isolation_level=None)


def test_every_connection_gets_wal_busy_timeout_full_sync_and_foreign_keys(path: Path) -> None:
    engine = make_engine(url_of(path))
    with engine.connect() as conn:
        pragma = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                  for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")}
    assert pragma == {"journal_mode": "wal", "busy_timeout": BUSY_TIMEOUT_MS,
                      "synchronous": 2, "foreign_keys": 1}  # synchronous 2 is FULL


def test_foreign_keys_are_enforced(path: Path) -> None:
    db = SqlDatabase(url_of(path))
    orphan = TaskEvent(task_id=uuid.uuid4(), actor="a", action="create", to_status="pending")
    with pytest.raises(sa_exc.IntegrityError, match="FOREIGN KEY"), db.write() as uow:
        uow.tasks.add_events([orphan])
        uow.commit()


def test_engines_never_pool_connections(path: Path, pg_url: str) -> None:
    assert isinstance(make_engine(url_of(path)).pool, NullPool)
    assert isinstance(make_engine(pg_url).pool, NullPool)


def test_a_missing_file_is_not_created_except_by_init(tmp_path: Path) -> None:
    missing = tmp_path / "sub" / "mpo.db"
    with pytest.raises(DatabaseError) as caught:
        make_engine(url_of(missing))
    assert caught.value.exit_code is ExitCode.DATABASE
    assert "run `mpo init`" in caught.value.message and str(missing) in caught.value.message
    make_engine(url_of(missing), create=True)
    assert missing.parent.is_dir()


def test_a_write_unit_holds_the_write_lock_from_its_first_statement(path: Path) -> None:
    db = SqlDatabase(url_of(path))
    with db.write() as uow:
        uow.tasks.find(TaskQuery(limit=1))  # only a read so far
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            rival(path).execute("BEGIN IMMEDIATE")
    other = rival(path)
    other.execute("BEGIN IMMEDIATE")  # released when the unit ended
    other.execute("ROLLBACK")


def test_a_read_unit_never_takes_the_write_lock(path: Path) -> None:
    db = SqlDatabase(url_of(path))
    with db.read() as uow:
        uow.tasks.find(TaskQuery(limit=1))
        other = rival(path)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")


def test_a_second_writer_queues_behind_the_first_while_a_reader_carries_on(path: Path) -> None:
    url = url_of(path)
    first, second, reader = SqlDatabase(url), SqlDatabase(url), SqlDatabase(url)
    finished = threading.Event()
    errors: list[BaseException] = []

    def write_second() -> None:
        try:
            make_task(second, title="second")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finished.set()

    with first.write() as uow:
        uow.tasks.find(TaskQuery(limit=1))
        thread = threading.Thread(target=write_second)
        thread.start()
        assert not finished.wait(1.0), errors  # waiting for the lock, not failing
        uow.tasks.add(Task(marketplace="amazon", created_by="x", title="first",
                           category="analysis", priority="low", estimated_hours=1))
        uow.session.flush()
        assert list_tasks(reader, ADMIN, TaskQuery(), RULES) == []
        uow.commit()
    thread.join(BUSY_TIMEOUT_MS / 1000)
    assert finished.is_set() and not errors
    assert sorted(row["title"] for row in readback.tasks(url).values()) == ["first", "second"]


def test_a_writer_kept_waiting_past_busy_timeout_gets_database_busy(path: Path) -> None:
    engine = make_engine(url_of(path))

    @event.listens_for(engine, "connect")
    def _shorter_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=100")

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(DatabaseError) as caught:
        make_task(SqlDatabase(url_of(path), engine=engine))
    holder.execute("ROLLBACK")
    assert caught.value.exit_code is ExitCode.DATABASE
    assert caught.value.message.startswith("database is busy")


def test_a_postgresql_url_without_the_driver_says_which_extra_to_install() -> None:
    # A Python without psycopg (the `postgres` extra not installed), in its own process.
    probe = (
        "import sys\n"
        "sys.modules['psycopg'] = None\n"
        "from mpo.store.engine import make_engine\n"
        "from mpo.core.domain.errors import DatabaseError\n"
        "try:\n"
        "    make_engine('postgresql+psycopg://mpo@127.0.0.1/mpo')\n"
        "except DatabaseError as exc:\n"
        "    print(int(exc.exit_code), exc.message)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout == "6 PostgreSQL needs the psycopg driver: pip install 'mpo[postgres]'\n"


def test_a_new_sqlite_file_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:  # holds the -wal and -shm files open
        conn.exec_driver_sql("SELECT count(*) FROM task").scalar()
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.glob("new.db*")}
    engine.dispose()
    assert modes == {"new.db": 0o600, "new.db-wal": 0o600, "new.db-shm": 0o600}


def test_a_failing_statement_never_shows_its_parameters(database_url: str) -> None:
    """With MPO_DEBUG=1 a traceback prints the error: it must not print a bound token."""
    import traceback

    from sqlalchemy import text

    from mpo.config import urls

    secret = "mpo_" + uuid.uuid4().hex  # built here, so no source line shows it
    engine = make_engine(urls.normalise(database_url), create=True)
    with pytest.raises(sa_exc.DBAPIError) as caught, engine.connect() as conn:
        conn.execute(text("SELECT * FROM mpo_authenticate(:token)"), {"token": secret})
    engine.dispose()
    assert secret not in "".join(traceback.format_exception(caught.value))

"""Units of work (roll back unless committed) and the one translation of driver errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mpo.core.domain.errors import DatabaseError, ExitCode
from mpo.core.ports import DuplicateKey
from mpo.core.tables.models import Task
from mpo.store.database import SqlDatabase
from mpo.store.migrations import HEAD
from tests import readback
from tests.migrated import upgrade


def task(**overrides: object) -> Task:
    return Task(**{"marketplace": "amazon", "created_by": "x", "title": "t",
                   "category": "analysis", "priority": "low", "estimated_hours": 1,
                   **overrides})


def test_a_unit_left_without_commit_rolls_back(db: SqlDatabase, database_url: str) -> None:
    with db.write() as uow:
        uow.tasks.add(task())
        uow.session.flush()
    assert readback.tasks(database_url) == {}


def test_a_unit_left_by_an_error_rolls_back_and_the_error_goes_on(
    db: SqlDatabase, database_url: str
) -> None:
    with pytest.raises(RuntimeError, match="boom"), db.write() as uow:
        uow.tasks.add(task())
        uow.session.flush()
        raise RuntimeError("boom")
    assert readback.tasks(database_url) == {}


def test_a_committed_unit_persists_and_its_objects_stay_readable(
    db: SqlDatabase, database_url: str
) -> None:
    made = task(title="kept")
    with db.write() as uow:
        uow.tasks.add(made)
        uow.commit()
    assert made.title == "kept"  # still loaded after the session closed
    assert [r["title"] for r in readback.tasks(database_url).values()] == ["kept"]


def test_a_second_task_with_a_taken_idempotency_key_is_a_duplicate_key(db: SqlDatabase) -> None:
    for attempt in (1, 2):
        try:
            with db.write() as uow:
                uow.tasks.add(task(idempotency_key="k"))
                uow.commit()
        except DuplicateKey:
            assert attempt == 2
        else:
            assert attempt == 1


@pytest.fixture
def empty_url(database_url: str) -> str:
    """A database that exists but has no mpo schema."""
    path = readback_path(database_url)
    if path is not None:
        sqlite3.connect(path).close()
    return database_url


def readback_path(url: str) -> Path | None:
    from mpo.config import urls

    return urls.sqlite_path(url) if urls.is_sqlite(url) else None


@pytest.mark.parametrize("unit", ["read", "write"])
def test_a_database_without_the_schema_says_to_run_init(empty_url: str, unit: str) -> None:
    with pytest.raises(DatabaseError) as caught, getattr(SqlDatabase(empty_url), unit)():
        pass
    assert caught.value.exit_code is ExitCode.DATABASE
    assert caught.value.message.endswith("has no mpo schema; run `mpo init`")


def test_a_database_at_another_revision_says_to_upgrade(database_url: str) -> None:
    upgrade(database_url)
    readback.execute(database_url, "UPDATE alembic_version SET version_num = '0001'")
    with pytest.raises(DatabaseError) as caught, SqlDatabase(database_url).read():
        pass
    assert f"at revision 0001, this mpo expects {HEAD}" in caught.value.message
    assert "mpo db upgrade" in caught.value.message


def test_an_unreachable_server_is_unavailable_not_uninitialised() -> None:
    url = "postgresql+psycopg://mpo:secret@127.0.0.1:1/mpo"
    with pytest.raises(DatabaseError) as caught, SqlDatabase(url).read():
        pass
    assert caught.value.exit_code is ExitCode.DATABASE
    assert caught.value.message.startswith("database unavailable (")
    assert "secret" not in caught.value.message and "mpo:***@" in caught.value.message


def test_a_missing_postgresql_database_is_unavailable(pg_url: str) -> None:
    url = pg_url.rsplit("/", 1)[0] + "/mpo_no_such_database"
    with pytest.raises(DatabaseError) as caught, SqlDatabase(url).read():
        pass
    assert "database unavailable" in caught.value.message
    assert "mpo init" not in caught.value.message


def test_a_file_that_is_not_a_database_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are not the tables you are looking for" * 100)
    with pytest.raises(DatabaseError) as caught, SqlDatabase(f"sqlite:///{path}").read():
        pass
    assert caught.value.exit_code is ExitCode.DATABASE
    assert "file is not a database" in caught.value.message


def test_urls_are_normalised_on_the_way_in(tmp_path: Path) -> None:
    upgrade(str(tmp_path / "mpo.db"))
    assert SqlDatabase(str(tmp_path / "mpo.db")).url == f"sqlite:///{tmp_path / 'mpo.db'}"

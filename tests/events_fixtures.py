"""Fixtures for the event tests: one migrated PostgreSQL database per test module.

The databases of `migrated_url`, `events_db` and `sqlite_db` have the team of tests/team.py
(`assign --to`, `created_by` need them); `module_pg` alone is left without principals.

Creating and dropping a PostgreSQL database costs seconds on a loaded machine; the stream
tests only append, and each works relative to the events it made, so they share one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mpo.store.database import SqlDatabase
from tests.conftest import RUN_ID, _admin_connect, _server_url, _with_database
from tests.migrated import upgrade
from tests.team import add_members


@pytest.fixture(scope="module")
def module_pg() -> Iterator[str]:
    """A migrated PostgreSQL database shared by one test module (dropped after it)."""
    server = _server_url()
    name = f"mpo_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    with _admin_connect(server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server, name)
    try:
        upgrade(url)
        yield url
    finally:
        with _admin_connect(server) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database on each backend: a fresh SQLite file, the module's PostgreSQL."""
    if request.param == "postgres":
        url = str(request.getfixturevalue("module_pg"))
        add_members(url)  # once per module: those already there are kept
        return url
    url = f"sqlite:///{tmp_path / 'mpo.db'}"
    upgrade(url)
    add_members(url)
    return url


@pytest.fixture
def events_db(migrated_url: str) -> SqlDatabase:
    """A migrated database on each backend (PostgreSQL's shared by the module)."""
    return SqlDatabase(migrated_url)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> SqlDatabase:
    """A migrated SQLite database, for rules that do not depend on the backend."""
    url = f"sqlite:///{tmp_path / 'mpo.db'}"
    upgrade(url)
    add_members(url)
    return SqlDatabase(url)

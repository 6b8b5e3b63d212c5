"""Shared fixtures: every test runs in a private home, drives the real app, and can ask for
a real PostgreSQL database of its own.

- `isolation` (autouse): temp HOME/XDG dirs (so config, data and the keyring file live in
  the test's tmp dir), no inherited MPO_* variables, NO_COLOR, fixed COLUMNS, a real file
  keyring backend (keyrings.alt PlaintextKeyring), MPO_DEBUG=1 so crashes show tracebacks.
- `runner`: typer's CliRunner bound to the `mpo` app, stdout and stderr kept apart.
- `pg_url`: a fresh PostgreSQL database for one test, dropped after it. Skips without
  MPO_TEST_DATABASE_URL; fails instead when CI=true.
- `database_url`: parametrised over sqlite and postgres, for tests that must pass on both.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mpo.cli.app import app
from tests import migrated
from tests.team import add_members

RUN_ID = uuid.uuid4().hex[:8]
KEYRING_BACKEND = "keyrings.alt.file.PlaintextKeyring"


@pytest.fixture(autouse=True)
def isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("MPO_") and name != "MPO_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", KEYRING_BACKEND)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("MPO_DEBUG", "1")
    return home


class MpoRunner(CliRunner):
    """Invokes the real `mpo` app; `json()` parses stdout of a `--json` call."""

    def __call__(self, *args: str, input: str | None = None,
                 env: dict[str, str] | None = None) -> Any:
        return self.invoke(app, list(args), input=input, env=env, catch_exceptions=False)

    def json(self, *args: str, input: str | None = None,
             env: dict[str, str] | None = None) -> Any:
        result = self(*args, "--json", input=input, env=env)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def runner() -> MpoRunner:
    return MpoRunner()


def _server_url() -> str:
    url = os.environ.get("MPO_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but MPO_TEST_DATABASE_URL is not set: PostgreSQL tests must run")
        pytest.skip("MPO_TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    return url


def _admin_connect(url: str) -> Any:
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at MPO_TEST_DATABASE_URL is unreachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test (dropped afterwards)."""
    server = _server_url()
    name = f"mpo_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    with _admin_connect(server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(server, name)
    finally:
        with _admin_connect(server) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for each backend; the PostgreSQL one is fresh and private."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mpo.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def initialised(runner: MpoRunner, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`mpo init` has run against `database_url`, which later commands use too."""
    monkeypatch.setenv("MPO_DATABASE_URL", database_url)
    migrated.prepare(database_url)  # `mpo init` then finds the schema at head: fast
    result = runner("init")
    assert result.exit_code == 0, result.stderr
    add_members(database_url)
    return database_url


#: The cluster-wide roles the migrations create when they are missing (mpo_app, 0003;
#: mpo_bi, the BI views' revision).
GROUP_ROLES = ("mpo_app", "mpo_bi")
APP_ROLE = GROUP_ROLES[0]
_ROLES_THERE = pytest.StashKey[set[str]]()


def _group_roles_there() -> set[str] | None:
    """Which of GROUP_ROLES the server has; None without a reachable test server."""
    url = os.environ.get("MPO_TEST_DATABASE_URL")
    if not url:
        return None
    import psycopg

    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1),
                             autocommit=True, connect_timeout=5) as conn:
            found = conn.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)",
                                 (list(GROUP_ROLES),)).fetchall()
    except psycopg.Error:
        return None
    return {name for name, in found}


def pytest_sessionstart(session: pytest.Session) -> None:
    """The run's controller (not an xdist worker) notes which group roles were there."""
    if not hasattr(session.config, "workerinput"):
        there = _group_roles_there()
        if there is not None:
            session.config.stash[_ROLES_THERE] = there


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Leave the cluster as the run found it: the controller, after every worker has
    finished (and dropped its databases), drops the group roles this run created. A role
    that was there before (a real installation) is never touched; one still granted in a
    database of another run in progress cannot be dropped, and is left to that run."""
    if hasattr(session.config, "workerinput") or _ROLES_THERE not in session.config.stash:
        return
    import psycopg

    url = os.environ["MPO_TEST_DATABASE_URL"]
    for role in GROUP_ROLES:
        if role in session.config.stash[_ROLES_THERE]:
            continue
        try:
            with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1),
                                 autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"DROP ROLE IF EXISTS {role}")
        except psycopg.Error:
            pass  # still in use by a database of another run: that run's own finish drops it

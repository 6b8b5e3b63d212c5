"""`mpo init`, `mpo db upgrade`, `mpo db current`: where things live, and schema revisions."""

from __future__ import annotations

import getpass
import json
import stat
import tomllib
from pathlib import Path

from mpo.store.migrations import HEAD
from tests import readback
from tests.conftest import MpoRunner
from tests.schema import downgrade, previous_revision


def record(stdout: str) -> dict[str, str]:
    """A piped record: `field<TAB>value` lines."""
    return dict(line.split("\t", 1) for line in stdout.splitlines())  # type: ignore[misc]


def test_init_creates_the_database_and_config_and_prints_where_they_live(
    runner: MpoRunner, isolation: Path
) -> None:
    result = runner("init")
    assert result.exit_code == 0, result.stderr
    shown = record(result.stdout)
    database = isolation / ".local" / "share" / "mpo" / "mpo.db"
    config = isolation / ".config" / "mpo" / "config.toml"
    assert (shown["database"], shown["config"], shown["revision"]) == (
        f"sqlite:///{database}", str(config), HEAD)
    assert shown["admin"] == getpass.getuser()
    assert database.is_file() and config.is_file()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    saved = tomllib.loads(config.read_text())
    assert saved == {"default_profile": "default",
                     "profiles": {"default": {"database_url": f"sqlite:///{database}"}}}
    assert readback.fetch(shown["database"], "SELECT version_num FROM alembic_version") == [
        {"version_num": HEAD}]


def test_init_again_upgrades_in_place_and_keeps_the_config(
    runner: MpoRunner, isolation: Path
) -> None:
    assert runner("init").exit_code == 0
    config = isolation / ".config" / "mpo" / "config.toml"
    edited = config.read_text() + 'timezone = "America/Sao_Paulo"\n'
    config.write_text(edited)
    shown = runner.json("init")
    assert (shown["revision"], shown["previous_revision"]) == (HEAD, HEAD)
    assert config.read_text() == edited


def test_init_on_postgresql_never_writes_a_password_to_the_config(
    runner: MpoRunner, pg_url: str, isolation: Path
) -> None:
    with_password = pg_url.replace("://postgres@", "://postgres:hunter2@", 1)
    assert with_password != pg_url
    result = runner("--db", with_password, "init", "--json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert "hunter2" not in result.stdout and ":***@" in shown["database"]
    config = (isolation / ".config" / "mpo" / "config.toml").read_text()
    assert "hunter2" not in config and "database_url" not in config


def test_db_upgrade_and_current_on_an_empty_database(runner: MpoRunner, pg_url: str) -> None:
    assert runner.json("--db", pg_url, "db", "current")["revision"] is None
    upgraded = runner.json("--db", pg_url, "db", "upgrade")
    assert (upgraded["previous_revision"], upgraded["revision"]) == (None, HEAD)
    assert runner.json("--db", pg_url, "db", "current")["revision"] == HEAD


def test_before_init_commands_say_to_run_it(runner: MpoRunner, tmp_path: Path) -> None:
    missing = tmp_path / "mpo.db"
    for args in (["list"], ["db", "current"], ["log"]):
        # With a token at hand, so that the database is what is missing.
        result = runner("--db", str(missing), *args, env={"MPO_TOKEN": "mpo_x"})
        assert result.exit_code == 6, args
        # The hint is complete as printed: it names the database this run was given.
        assert result.stderr == f"error: no mpo database at {missing}; run `mpo --db " \
            f"{missing} init` to create it\n"
    assert not missing.exists()


def test_a_database_behind_the_code_says_to_upgrade(runner: MpoRunner, initialised: str) -> None:
    downgrade(initialised, previous_revision())
    result = runner("list")
    assert result.exit_code == 6
    assert "run `mpo db upgrade`" in result.stderr
    assert runner.json("db", "upgrade")["previous_revision"] == previous_revision()
    assert runner("list").exit_code == 0

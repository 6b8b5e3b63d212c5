"""`mpo config`: where the file is, what is in effect and why, and checked changes."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest

from mpo.config import paths
from mpo.config.keys import KEYS
from tests.conftest import MpoRunner


def config_file() -> Path:
    return paths.config_file()


def read_config() -> dict[str, object]:
    return tomllib.loads(config_file().read_text())


def test_path_is_the_platform_config_dir_unless_mpo_config_says(
        runner: MpoRunner, isolation: Path, tmp_path: Path) -> None:
    result = runner("config", "path")
    assert result.stdout.strip() == str(isolation / ".config" / "mpo" / "config.toml")
    result = runner("config", "path", env={"MPO_CONFIG": str(tmp_path / "elsewhere.toml")})
    assert result.stdout.strip() == str(tmp_path / "elsewhere.toml")


def test_list_shows_every_key_with_its_default(runner: MpoRunner) -> None:
    rows = runner.json("config", "list")
    assert [r["key"] for r in rows] == ["profile", *KEYS]
    assert {r["source"] for r in rows} == {"default"}
    by_key = {r["key"]: r["value"] for r in rows}
    assert by_key["timezone"] == "UTC" and by_key["confirm_over"] == 10
    assert by_key["marketplaces"][0] == "amazon"


def test_set_writes_the_profile_and_get_reads_it_back(runner: MpoRunner) -> None:
    assert runner("config", "set", "marketplaces", "amazon, shopee").exit_code == 0
    assert runner("config", "set", "confirm_over", "25").exit_code == 0
    assert read_config() == {"profiles": {"default": {"marketplaces": ["amazon", "shopee"],
                                                      "confirm_over": 25}}}
    assert runner("config", "get", "marketplaces").stdout == "amazon,shopee\n"
    sources = {r["key"]: r["source"] for r in runner.json("config", "list")}
    assert sources["marketplaces"] == sources["confirm_over"] == "profile default"


def test_set_changes_the_selected_profile(runner: MpoRunner) -> None:
    assert runner("profile", "add", "team").exit_code == 0
    assert runner("--profile", "team", "config", "set", "timezone", "Asia/Tokyo").exit_code == 0
    result = runner("config", "set", "timezone", "Europe/Lisbon", env={"MPO_PROFILE": "team"})
    assert result.exit_code == 0, result.stderr
    assert "in profile team" in result.stderr
    assert read_config()["profiles"] == {"team": {"timezone": "Europe/Lisbon"}}


def test_set_into_a_missing_profile_is_not_found(runner: MpoRunner) -> None:
    result = runner("--profile", "nope", "config", "set", "timezone", "UTC")
    assert result.exit_code == 3, result.stderr
    assert "mpo profile add nope" in result.stderr
    assert not config_file().exists()


@pytest.mark.parametrize(("key", "value", "says"), [
    ("colour", "blue", "unknown key 'colour'; keys: database_url, default_role"),
    ("confirm_over", "many", "confirm_over: must be a whole number >= 0"),
    ("confirm_over", "1.5", "confirm_over: must be a whole number >= 0"),
    ("default_role", "boss", "default_role: 'boss' is not one of agent, master, admin"),
    ("timezone", "Mars/Olympus", "timezone: 'Mars/Olympus' is not an IANA time zone"),
    ("marketplaces", "amazon,amazon", "marketplaces: names must be distinct"),
    ("marketplaces", "amazon," + "m" * 51, "marketplaces: names must be at most 50 characters"),
    ("rejection_codes", "c" * 51, "rejection_codes: names must be at most 50 characters"),
    ("database_url", "mysql://db/mpo", "database_url: scheme 'mysql' is not supported"),
    ("database_url", "postgresql://db:port/mpo", "database_url: 'postgresql+psycopg://db:port"),
    ("default_profile", "team", "default_profile: choose it with `mpo profile use NAME`"),
])
def test_set_refuses_bad_values_naming_the_key(
        runner: MpoRunner, key: str, value: str, says: str) -> None:
    assert runner("config", "set", "timezone", "UTC").exit_code == 0
    before = config_file().read_bytes()
    result = runner("config", "set", key, value)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {says}")
    assert result.stderr.count("\n") == 1
    assert config_file().read_bytes() == before


def test_a_database_password_is_never_written(runner: MpoRunner) -> None:
    result = runner("config", "set", "database_url", "postgresql://mpo:s3cret@db/mpo")
    assert result.exit_code == 2
    assert "MPO_DATABASE_URL" in result.stderr and "keyring" in result.stderr
    assert "s3cret" not in result.stderr
    assert not config_file().exists()


def test_the_listen_url_is_postgresql_without_a_password_in_the_file(runner: MpoRunner
                                                                    ) -> None:
    secret = runner("config", "set", "listen_database_url", "postgresql://mpo:s3cret@db/mpo")
    assert secret.exit_code == 2 and "MPO_LISTEN_DATABASE_URL" in secret.stderr
    assert "s3cret" not in secret.stderr
    sqlite = runner("config", "set", "listen_database_url", "sqlite:///tmp/mpo.db")
    assert sqlite.exit_code == 2
    assert "listen_database_url: 'sqlite:///tmp/mpo.db' is not a PostgreSQL URL" in sqlite.stderr
    assert not config_file().exists()
    assert runner("config", "set", "listen_database_url", "postgres://mpo@db/mpo").exit_code == 0
    env = {"MPO_LISTEN_DATABASE_URL": "postgresql://mpo:s3cret@db:5432/mpo"}
    shown = runner("config", "get", "listen_database_url", env=env).stdout
    assert shown == "postgresql+psycopg://mpo:***@db:5432/mpo\n"


def test_a_password_from_the_environment_is_used_but_not_shown(runner: MpoRunner) -> None:
    env = {"MPO_DATABASE_URL": "postgresql://mpo:s3cret@db/mpo"}
    shown = runner("config", "get", "database_url", env=env).stdout
    assert shown == "postgresql+psycopg://mpo:***@db/mpo\n"
    assert "s3cret" not in runner("config", "list", env=env).stdout


def test_a_file_that_does_not_parse_names_file_line_and_column_and_stays(
        runner: MpoRunner) -> None:
    config_file().parent.mkdir(parents=True)
    broken = b'default_profile = "default"\n[profiles.default\ntimezone = "UTC"\n'
    config_file().write_bytes(broken)
    for args in (("config", "set", "timezone", "UTC"), ("config", "list"),
                 ("profile", "add", "team"), ("config", "unset", "timezone")):
        result = runner(*args)
        assert result.exit_code == 2, args
        assert result.stderr == (f"error: config file {config_file()}: Expected ']' at the end "
                                 "of a table declaration (at line 2, column 18)\n")
    assert config_file().read_bytes() == broken


def test_the_file_is_private_and_replaced_whole(runner: MpoRunner) -> None:
    assert runner("config", "set", "timezone", "UTC").exit_code == 0
    assert stat.S_IMODE(config_file().stat().st_mode) == 0o600
    config_file().chmod(0o644)
    inode = config_file().stat().st_ino
    assert runner("config", "set", "confirm_over", "3").exit_code == 0
    assert stat.S_IMODE(config_file().stat().st_mode) == 0o600
    assert config_file().stat().st_ino != inode  # renamed into place, not rewritten
    assert [p.name for p in config_file().parent.iterdir()] == ["config.toml"]


def test_unset_returns_a_key_to_its_default(runner: MpoRunner) -> None:
    assert runner("config", "set", "confirm_over", "3").exit_code == 0
    result = runner("config", "unset", "confirm_over")
    assert result.exit_code == 0 and "unset confirm_over" in result.stderr
    assert runner("config", "get", "confirm_over").stdout == "10\n"
    again = runner("config", "unset", "confirm_over")
    assert again.exit_code == 0 and "was not set" in again.stderr
    assert runner("config", "unset", "colour").exit_code == 2


def test_get_an_unknown_key_lists_the_keys(runner: MpoRunner) -> None:
    result = runner("config", "get", "colour")
    assert result.exit_code == 2
    assert "keys: database_url, default_role, timezone" in result.stderr


def test_list_renders_for_pipes_and_terminals(runner: MpoRunner) -> None:
    piped = runner("config", "list").stdout.splitlines()
    assert piped[0] == "profile\tdefault\tdefault"
    assert piped[4].startswith('marketplaces\t["amazon","shopee",')
    table = runner("config", "list", env={"MPO_FORCE_TTY": "1"}).stdout
    assert "amazon, shopee" in table and "source" in table


def test_list_json_values_keep_their_types(runner: MpoRunner) -> None:
    rows = json.loads(runner("config", "list", "--json").stdout)
    assert isinstance({r["key"]: r["value"] for r in rows}["rejection_codes"], list)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_configured_name_longer_than_its_column_never_reaches_the_database(
        runner: MpoRunner, initialised: str) -> None:
    long = "m" * 51
    result = runner("list", env={"MPO_MARKETPLACES": f"amazon,{long}"})
    assert result.exit_code == 2, result.stderr
    assert "MPO_MARKETPLACES: names must be at most 50 characters" in result.stderr


def test_config_show_is_config_list(runner: MpoRunner) -> None:
    """The top-level help says "Show and change settings": `config show` is the guess an
    agent made (issue 21); it answers as `config list` does."""
    shown = runner("config", "show", "--json")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout == runner("config", "list", "--json").stdout

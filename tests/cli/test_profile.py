"""`mpo profile`, and the precedence every command follows: flag > MPO_* > profile > default."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mpo.config import paths
from tests.cli.conftest import Run
from tests.conftest import MpoRunner


def read_config() -> dict[str, object]:
    return tomllib.loads(paths.config_file().read_text())


def test_add_use_list_remove(runner: MpoRunner, tmp_path: Path) -> None:
    team_db = tmp_path / "team.db"
    assert runner("profile", "add", "team", "--database-url", str(team_db)).exit_code == 0
    assert runner("profile", "add", "staging").exit_code == 0
    assert runner("profile", "use", "team").exit_code == 0
    assert read_config() == {"default_profile": "team", "profiles": {
        "team": {"database_url": f"sqlite:///{team_db}"}, "staging": {}}}

    rows = runner.json("profile", "list")
    assert [(r["name"], r["default"], r["active"]) for r in rows] == [
        ("default", False, False), ("staging", False, False), ("team", True, True)]
    assert rows[2]["database_url"] == f"sqlite:///{team_db}"
    chosen = runner.json("--profile", "staging", "profile", "list")
    assert [r["name"] for r in chosen if r["active"]] == ["staging"]

    assert runner("profile", "remove", "staging").exit_code == 0
    assert "staging" not in read_config()["profiles"]  # type: ignore[operator]


def test_add_refuses_a_duplicate_a_bad_name_and_a_password(runner: MpoRunner) -> None:
    assert runner("profile", "add", "team").exit_code == 0
    duplicate = runner("profile", "add", "team")
    assert duplicate.exit_code == 5 and "already exists" in duplicate.stderr
    bad = runner("profile", "add", "my team")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: name: 'my team' is not a profile")
    secret = runner("profile", "add", "prod", "--database-url", "postgres://u:pw@db/mpo")
    assert secret.exit_code == 2 and "MPO_DATABASE_URL" in secret.stderr
    assert read_config() == {"profiles": {"team": {}}}


def test_use_and_remove_need_an_existing_profile(runner: MpoRunner) -> None:
    assert runner("profile", "add", "team").exit_code == 0
    missing = runner("profile", "use", "nope")
    assert missing.exit_code == 3 and "profiles: default, team" in missing.stderr
    assert runner("profile", "remove", "nope").exit_code == 3
    assert runner("profile", "use", "team").exit_code == 0
    default = runner("profile", "remove", "team")
    assert default.exit_code == 5 and "mpo profile use NAME" in default.stderr
    assert runner("profile", "use", "default").exit_code == 0
    assert runner("profile", "remove", "team").exit_code == 0


LAYERS = ("flag", "env", "profile")


@pytest.mark.parametrize("present", list(itertools.product([False, True], repeat=3)),
                         ids=lambda p: "+".join(n for n, on in zip(LAYERS, p, strict=True)
                                                if on) or "none")
def test_database_url_precedence(
        runner: MpoRunner, tmp_path: Path, present: tuple[bool, bool, bool]) -> None:
    flag, environ, profile = present
    url = {layer: f"sqlite:///{tmp_path / layer}.db" for layer in LAYERS}
    in_profile = ["--database-url", url["profile"]] if profile else []
    assert runner("profile", "add", "team", *in_profile).exit_code == 0
    args = ["--profile", "team"] + (["--db", url["flag"]] if flag else [])
    env = {"MPO_DATABASE_URL": url["env"]} if environ else {}
    rows = {r["key"]: r for r in runner.json(*args, "config", "list", env=env)}
    winner = next((layer for layer, on in zip(LAYERS, present, strict=True) if on), None)
    expected = {"flag": "flag", "env": "MPO_DATABASE_URL", "profile": "profile team",
                None: "default"}[winner]
    assert rows["database_url"]["source"] == expected
    if winner is not None:
        assert rows["database_url"]["value"] == url[winner]


@pytest.mark.parametrize(("flag", "environ", "file", "expected"), [
    (None, None, None, ("default", "default")),
    (None, None, "b", ("b", "default_profile")),
    (None, "a", "b", ("a", "MPO_PROFILE")),
    ("c", "a", "b", ("c", "flag")),
])
def test_profile_choice_precedence(runner: MpoRunner, flag: str | None, environ: str | None,
                                   file: str | None, expected: tuple[str, str]) -> None:
    for name in "abc":
        assert runner("profile", "add", name).exit_code == 0
        assert runner("--profile", name, "config", "set", "timezone", "UTC").exit_code == 0
    if file:
        assert runner("profile", "use", file).exit_code == 0
    args = ["--profile", flag] if flag else []
    env = {"MPO_PROFILE": environ} if environ else {}
    rows = {r["key"]: r for r in runner.json(*args, "config", "list", env=env)}
    assert (rows["profile"]["value"], rows["profile"]["source"]) == expected
    assert rows["timezone"]["source"] == ("default" if expected[0] == "default"
                                          else f"profile {expected[0]}")


def test_environment_beats_the_profile_for_every_key(runner: MpoRunner) -> None:
    assert runner("config", "set", "confirm_over", "3").exit_code == 0
    assert runner("config", "set", "timezone", "Asia/Tokyo").exit_code == 0
    env = {"MPO_CONFIRM_OVER": "7", "MPO_MARKETPLACES": "amazon,kaway"}
    rows = {r["key"]: r for r in runner.json("config", "list", env=env)}
    assert (rows["confirm_over"]["value"], rows["confirm_over"]["source"]) == (
        7, "MPO_CONFIRM_OVER")
    assert rows["marketplaces"]["value"] == ["amazon", "kaway"]
    assert rows["timezone"]["source"] == "profile default"
    bad = runner("config", "list", env={"MPO_CONFIRM_OVER": "lots"})
    assert bad.exit_code == 2 and bad.stderr.startswith("error: MPO_CONFIRM_OVER: must be")


def titles(url: str) -> list[str]:
    """Task titles, read back through a fresh connection."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(text("SELECT title FROM task")).scalars())
    finally:
        engine.dispose()


def create(mpo: Run, title: str, *args: str, **env: str) -> None:
    result = mpo(*args, "create", "-m", "amazon", "-t", title, "-c", "scaling", "-e", "1",
                 "--json", **env)
    assert result.returncode == 0, result.stderr


@pytest.mark.e2e
def test_a_new_user_adds_a_profile_and_every_later_command_uses_it(
        mpo_process: Run, database_url: str, tmp_path: Path) -> None:
    team = database_url
    assert mpo_process("profile", "add", "team", "--database-url", team).returncode == 0
    assert mpo_process("profile", "use", "team").returncode == 0
    init = mpo_process("init")
    assert init.returncode == 0, init.stderr
    create(mpo_process, "into the team database")
    assert titles(team) == ["into the team database"]

    env_db = f"sqlite:///{tmp_path / 'env.db'}"
    assert mpo_process("init", MPO_DATABASE_URL=env_db).returncode == 0
    create(mpo_process, "env beats profile", MPO_DATABASE_URL=env_db)
    assert titles(env_db) == ["env beats profile"]

    flag_db = f"sqlite:///{tmp_path / 'flag.db'}"
    assert mpo_process("--db", flag_db, "init").returncode == 0
    create(mpo_process, "flag beats both", "--db", flag_db, MPO_DATABASE_URL=env_db)
    assert titles(flag_db) == ["flag beats both"]
    assert titles(env_db) == ["env beats profile"]
    assert titles(team) == ["into the team database"]

"""Where credentials come from and where they are kept, with real keyring backends:
the keyrings.alt file backend in a temporary home, keyring's `fail` backend (no keyring),
and a backend that hangs (the timeout path)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from mpo.auth import credentials
from mpo.core.domain.errors import AuthError
from tests.conftest import MpoRunner

DB = "sqlite:////srv/mpo.db"


def test_the_explicit_file_backend_is_usable_and_reported() -> None:
    chosen = credentials.backend()
    assert chosen.name == "keyrings.alt.file.PlaintextKeyring"
    assert chosen.usable and chosen.explicit and chosen.plaintext
    assert "explicitly configured" in chosen.describe()


def test_save_then_find_through_the_real_file_backend(isolation: Path) -> None:
    where = credentials.save(DB, "admin", "mpo_secret", insecure_storage=False)
    assert where.startswith("keyring (keyrings.alt.file.PlaintextKeyring")
    found = credentials.find(DB, "admin", environ={})
    assert (found.token, found.source) == ("mpo_secret", where)
    assert list((isolation / ".local" / "share" / "python_keyring").iterdir())


def test_credentials_are_per_database_and_role() -> None:
    credentials.save(DB, "admin", "mpo_a", insecure_storage=False)
    with pytest.raises(AuthError, match="no credential for role viewer"):
        credentials.find(DB, "viewer", environ={})
    with pytest.raises(AuthError):
        credentials.find("sqlite:////srv/other.db", "admin", environ={})


def test_the_login_role_in_a_url_does_not_change_the_database_identity() -> None:
    a = credentials.service("postgresql+psycopg://alice:pw@db:5432/mpo")
    b = credentials.service("postgresql+psycopg://bob@db:5432/mpo")
    assert a == b == "mpo:postgresql+psycopg://db:5432/mpo"


def test_precedence_token_file_then_env_then_keyring(tmp_path: Path) -> None:
    credentials.save(DB, "admin", "mpo_from_keyring", insecure_storage=False)
    token_file = tmp_path / "token"
    token_file.write_text("mpo_from_file\n")
    env = {"MPO_TOKEN": "mpo_from_env"}
    assert credentials.find(DB, "admin", token_file=str(token_file), environ=env).token == (
        "mpo_from_file")
    assert credentials.find(DB, "admin", environ=env).token == "mpo_from_env"
    assert credentials.find(DB, "admin", environ={}).token == "mpo_from_keyring"


def test_without_a_keyring_saving_refuses_and_says_how_to_proceed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    assert not credentials.backend().usable
    with pytest.raises(AuthError) as refused:
        credentials.save(DB, "admin", "mpo_x", insecure_storage=False)
    assert "MPO_TOKEN" in refused.value.message
    assert "--insecure-storage" in refused.value.message
    assert "\n" not in refused.value.message


def test_insecure_storage_is_a_private_file(monkeypatch: pytest.MonkeyPatch,
                                            isolation: Path) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    where = credentials.save(DB, "member", "mpo_m", insecure_storage=True)
    path = isolation / ".config" / "mpo" / "credentials.toml"
    assert where.startswith(f"file {path}")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert credentials.find(DB, "member", environ={}).source == f"file {path}"
    assert credentials.forget(DB, "member") == [f"file {path}"]


def test_a_hung_keyring_times_out_instead_of_hanging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.auth.slow_keyring.SlowKeyring")
    monkeypatch.setenv("MPO_KEYRING_TIMEOUT", "0.3")
    started = time.monotonic()
    with pytest.raises(AuthError, match=r"did not answer within 0.3 s"):
        credentials.find(DB, "admin", environ={})
    # Not a timing assertion on speed: only that it gave up rather than waiting 30 s.
    assert time.monotonic() - started < 30


def test_a_hung_keyring_never_hides_the_environment_token(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.auth.slow_keyring.SlowKeyring")
    assert credentials.find(DB, "admin", environ={"MPO_TOKEN": "mpo_env"}).token == "mpo_env"


def test_a_command_under_a_hung_keyring_exits_4_with_one_line(
        runner: MpoRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MPO_DATABASE_URL", str(tmp_path / "mpo.db"))
    runner("init")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.auth.slow_keyring.SlowKeyring")
    monkeypatch.setenv("MPO_KEYRING_TIMEOUT", "0.3")
    result = runner("list")
    assert result.exit_code == 4
    assert len(result.stderr.splitlines()) == 1

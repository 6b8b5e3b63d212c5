"""`mpo auth login | logout | status`, and how `mpo init` keeps the first admin's token."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MpoRunner


def test_init_keeps_the_admin_token_in_the_keyring(runner: MpoRunner, db: Path) -> None:
    status = runner.json("auth", "status")
    assert status[0]["role"] == "admin" and status[0]["principal"] == "root"
    assert status[0]["valid"] is True and status[0]["in_use"] is True
    assert status[0]["source"].startswith("keyring (keyrings.alt.file.PlaintextKeyring")
    assert "token" not in status[0]


def test_a_second_init_creates_no_second_admin(runner: MpoRunner, db: Path) -> None:
    again = runner.json("init")
    assert again["admin"] is None
    assert again["credential"] == "unchanged (principals already exist)"
    assert [p["name"] for p in runner.json("principal", "list")] == ["root"]


def test_init_without_a_keyring_prints_the_token_once(
        runner: MpoRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPO_DATABASE_URL", str(tmp_path / "headless.db"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    result = runner("init", "--json")
    assert result.exit_code == 0, result.stderr
    assert "no secure keyring backend" in result.stderr
    import json

    token = json.loads(result.stdout)["admin_token"]
    assert token.startswith("mpo_")
    assert runner("list", env={"MPO_TOKEN": token}).exit_code == 0


def test_login_reads_the_token_from_stdin_and_stores_it_for_its_role(
        runner: MpoRunner, db: Path) -> None:
    token = runner.json("principal", "add", "vera", "--role", "viewer")["token"]
    login = runner.json("auth", "login", "--with-token", input=token + "\n")
    assert (login["principal"], login["role"]) == ("vera", "viewer")
    assert runner("--as", "viewer", "log").exit_code == 0
    assert runner("--as", "viewer", "approve", "--all").exit_code == 4


def test_login_needs_with_token(runner: MpoRunner, db: Path) -> None:
    result = runner("auth", "login")
    assert result.exit_code == 2
    assert "--with-token" in result.stderr


def test_login_refuses_a_token_of_another_role(runner: MpoRunner, db: Path) -> None:
    token = runner.json("principal", "add", "vera", "--role", "viewer")["token"]
    result = runner("auth", "login", "--role", "admin", "--with-token", input=token)
    assert result.exit_code == 2
    assert "role is viewer" in result.stderr


def test_login_with_a_wrong_token_stores_nothing(runner: MpoRunner, db: Path) -> None:
    result = runner("auth", "login", "--role", "viewer", "--with-token", input="mpo_nope")
    assert result.exit_code == 4
    assert runner("--as", "viewer", "list").exit_code == 4


def test_without_a_keyring_login_fails_unless_insecure_storage_is_chosen(
        runner: MpoRunner, db: Path, monkeypatch: pytest.MonkeyPatch, isolation: Path) -> None:
    token = runner.json("principal", "add", "ana", "--role", "member")["token"]
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    refused = runner("auth", "login", "--with-token", input=token)
    assert refused.exit_code == 4
    assert "MPO_TOKEN" in refused.stderr and "--insecure-storage" in refused.stderr
    stored = runner.json("auth", "login", "--with-token", "--insecure-storage", input=token)
    assert "plain text, mode 0600" in stored["stored_in"]
    status = runner.json("--as", "member", "auth", "status")
    assert status[0]["source"].startswith("file ")
    assert status[0]["backend"].startswith("keyring.backends.fail.Keyring")


def test_logout_forgets_the_role(runner: MpoRunner, db: Path) -> None:
    result = runner("auth", "logout", "--role", "admin")
    assert result.exit_code == 0
    assert "removed from keyring" in result.stderr
    assert runner("list").exit_code == 4


def test_status_says_which_credential_is_in_use(runner: MpoRunner, db: Path) -> None:
    token = runner.json("principal", "add", "vera", "--role", "viewer")["token"]
    rows = runner.json("auth", "status", env={"MPO_TOKEN": token})
    active = rows[0]
    assert (active["role"], active["source"], active["in_use"]) == ("viewer", "MPO_TOKEN", True)
    assert [r["in_use"] for r in rows[1:]] == [False]


def test_status_lists_the_stored_credential_in_use_once(runner: MpoRunner, db: Path) -> None:
    rows = runner.json("auth", "status")
    assert [(r["role"], r["in_use"]) for r in rows] == [("admin", True)]


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_mpo_token_is_refused_not_replaced_by_the_stored_admin(
    runner: MpoRunner, db: Path, value: str
) -> None:
    """An agent whose token variable expanded to nothing must not act as the keyring's admin
    (issue 21): exit 4, naming the variable and both ways out."""
    result = runner("list", env={"MPO_TOKEN": value})
    assert result.exit_code == 4, result.stderr
    assert result.stderr == ("error: MPO_TOKEN is set but empty: give it the token, or unset "
                             "it (`unset MPO_TOKEN`) to use the stored credential\n")
    assert result.stdout == ""
    assert runner("list").exit_code == 0  # unset, the stored credential applies

"""The first run on a machine with no keyring (issue 24): `mpo init --insecure-storage`
after the first init keeps the admin's token, and every command a message prints works as
written, with the `--db` or `--profile` the run was given."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import MpoRunner

NO_KEYRING = "keyring.backends.fail.Keyring"


def _hints(text: str) -> list[str]:
    return re.findall(r"`(mpo [^`]+)`", text) + [
        line.split("#")[0].strip() for line in text.splitlines() if line.startswith("  mpo ")]


@pytest.mark.parametrize("how", ["db", "profile"])
def test_every_printed_hint_works_as_written(
        runner: MpoRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolation: Path,
        how: str) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)
    database = tmp_path / "with space" / "headless.db"
    database.parent.mkdir()
    if how == "db":
        root = ["--db", str(database)]
    else:
        added = runner("profile", "add", "work", "--database-url", str(database))
        assert added.exit_code == 0, added.stderr
        root = ["--profile", "work"]
    first = runner(*root, "init", "--json")
    assert first.exit_code == 0, first.stderr
    token = json.loads(first.stdout)["admin_token"]
    refused = runner(*root, "list")
    assert refused.exit_code == 4
    hints = _hints(first.stderr) + _hints(refused.stderr)
    assert len(hints) == 3, hints
    assert any(h.endswith("init --insecure-storage") for h in hints)
    stored = isolation / ".config" / "mpo" / "credentials.toml"
    for hint in hints:
        stored.unlink(missing_ok=True)
        assert runner(*root, "list").exit_code == 4
        args = shlex.split(hint)
        assert args[:3] == ["mpo", *root]
        followed = runner(*args[1:], input=token + "\n")
        assert followed.exit_code == 0, f"{hint}: {followed.stderr}"
        assert runner(*root, "list").exit_code == 0, hint


def test_init_insecure_storage_after_the_first_init_keeps_the_given_token(
        runner: MpoRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)
    monkeypatch.setenv("MPO_DATABASE_URL", str(tmp_path / "headless.db"))
    token = runner.json("init", "--admin", "root")["admin_token"]
    kept = runner.json("init", "--insecure-storage", input=token)
    assert kept["admin"] == "root"
    assert kept["credential"].endswith("(plain text, mode 0600)")
    assert runner("list").exit_code == 0
    # The token may come from MPO_TOKEN too; a wrong one is refused and nothing is stored.
    wrong = runner("init", "--insecure-storage", env={"MPO_TOKEN": "mpo_nope"})
    assert wrong.exit_code == 4


def test_init_insecure_storage_without_a_token_says_how(
        runner: MpoRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)
    monkeypatch.setenv("MPO_DATABASE_URL", str(tmp_path / "headless.db"))
    assert runner("init").exit_code == 0
    refused = runner("init", "--insecure-storage", input="")
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: init: principals already exist")
    assert "`mpo init --insecure-storage`" in refused.stderr

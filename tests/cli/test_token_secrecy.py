"""Tokens never appear in logs, error messages, `--json` output or the process list."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import MpoRunner


def test_tokens_appear_only_where_they_are_minted(runner: MpoRunner, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "mpo.db"
    monkeypatch.setenv("MPO_DATABASE_URL", str(db))
    runner("init")
    agent = runner.json("principal", "add", "marketplace-amazon", "--role", "agent",
                        "--marketplace", "amazon")["token"]
    viewer = runner.json("principal", "add", "vera", "--role", "viewer")["token"]
    wrong = agent[:-4] + "AAAA"
    outputs = []
    for env in ({"MPO_TOKEN": agent}, {"MPO_TOKEN": viewer}, {"MPO_TOKEN": wrong}, None):
        for args in (("create", "-t", "x", "-c", "analysis", "-e", "1", "--json"),
                     ("list", "--json"), ("log", "--json"), ("approve", "--all", "--json"),
                     ("auth", "status", "--json"), ("principal", "list", "--json"),
                     ("show", "0000", "--json")):
            result = runner(*args, env=env)
            outputs.append(result.stdout + result.stderr)
    text = "\n".join(outputs)
    for token in (agent, viewer, wrong):
        assert token not in text
        assert token[-20:] not in text
    stored = db.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("mpo.db*"))
    assert agent.encode() not in stored and wrong.encode() not in stored


def test_tokens_are_never_taken_from_argv(runner: MpoRunner) -> None:
    result = runner("--token", "mpo_secret", "list")
    assert result.exit_code == 2
    assert "mpo_secret" not in result.stderr


@pytest.mark.e2e
def test_the_process_list_never_shows_the_token(tmp_path: Path) -> None:
    mpo = shutil.which("mpo")
    assert mpo, "the mpo console script is installed by the README's install command"
    env = {**os.environ, "MPO_DATABASE_URL": str(tmp_path / "mpo.db")}
    subprocess.run([mpo, "init"], env=env, check=True, capture_output=True)
    waiting = subprocess.Popen([mpo, "--token-file", "-", "list"], env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        time.sleep(0.5)  # let it start and block reading the token from stdin
        cmdline = Path(f"/proc/{waiting.pid}/cmdline").read_bytes().replace(b"\0", b" ")
        secret = b"mpo_this-is-the-secret"
        assert secret not in cmdline
        _, err = waiting.communicate(secret + b"\n", timeout=30)
    finally:
        waiting.kill()
    assert b"not valid" in err and secret not in err

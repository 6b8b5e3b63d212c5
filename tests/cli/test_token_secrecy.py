"""Tokens never appear in logs, error messages, `--json` output or the process list."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import psutil
import pytest

from tests import migrated
from tests.conftest import MpoRunner
from tests.installed import MPO


def test_tokens_appear_only_where_they_are_minted(runner: MpoRunner, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "mpo.db"
    monkeypatch.setenv("MPO_DATABASE_URL", str(db))
    migrated.prepare(f"sqlite:///{db}")  # `mpo init` then finds the schema at head: fast
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
    """A token given on stdin works, and no process mpo runs shows it in its argv."""
    env = {**os.environ, "MPO_DATABASE_URL": str(tmp_path / "mpo.db")}
    subprocess.run([MPO, "init"], env=env, check=True, capture_output=True)
    secret = subprocess.run([MPO, "principal", "add", "vera", "--role", "viewer", "--fields",
                             "token"], env=env, check=True, capture_output=True, text=True
                            ).stdout.split("\t")[1].strip().encode()
    waiting = subprocess.Popen([MPO, "--token-file", "-", "list"], env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert waiting.stdin is not None
    waiting.stdin.write(secret + b"\n")
    waiting.stdin.close()
    seen: list[str] = []
    try:
        watched = psutil.Process(waiting.pid)
        while waiting.poll() is None:  # every process of the tree, while it works
            for process in [watched, *watched.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    seen.append(" ".join(process.cmdline()))
    except psutil.NoSuchProcess:
        pass
    assert waiting.stderr is not None
    err = waiting.stderr.read()  # `list` of an empty database: nothing fills a pipe
    assert waiting.returncode == 0, err  # the token on stdin was read and accepted
    assert seen and not [line for line in seen if secret.decode() in line]
    assert secret not in err

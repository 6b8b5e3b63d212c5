"""Fixtures for driving the installed `mpo` console script in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import migrated
from tests.conftest import MpoRunner

#: The venv's bin directory, where the `mpo` console script lives.
BIN = Path(sys.executable).parent

Run = Callable[..., "subprocess.CompletedProcess[str]"]


def environment(**extra: str) -> dict[str, str]:
    """The test's (isolated) environment with the venv first on PATH, plus `extra`."""
    return os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"} | extra


@pytest.fixture
def mpo_process() -> Run:
    """Runs `mpo ARGS...` as a process; keyword arguments become environment variables."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "mpo"), *args], capture_output=True, text=True,
                              env=environment(**env), timeout=60, check=False)

    return run


@pytest.fixture
def db(runner: MpoRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An SQLite database initialised by `mpo init --admin root` (its token in the keyring)."""
    path = tmp_path / "mpo.db"
    monkeypatch.setenv("MPO_DATABASE_URL", str(path))
    migrated.prepare(f"sqlite:///{path}")  # `mpo init` then finds the schema at head: fast
    assert runner("init", "--admin", "root").exit_code == 0
    return path

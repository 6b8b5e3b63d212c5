"""The first run on a machine without a usable keyring (servers, containers, CI), through
the installed `mpo`: the hints `mpo init` prints are exact commands that work as printed
(issue 11, defect 7), and `mpo init --insecure-storage` needs none."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.installed import MPO

pytestmark = pytest.mark.e2e


def _shell(command: str, home: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`command` in bash, as a person would type it, with only the venv's mpo on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MPO_", "XDG_"))} | {
        "HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PATH": f"{Path(MPO).parent}{os.pathsep}/usr/bin{os.pathsep}/bin"}
    return subprocess.run(["bash", "-c", command], input=stdin, env=env, cwd=home,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_hints_of_init_without_a_keyring_work_as_printed(tmp_path: Path) -> None:
    home = tmp_path / "server"
    home.mkdir()
    init = _shell("mpo init", home)
    assert init.returncode == 0, init.stderr
    token = dict(line.split("\t", 1) for line in init.stdout.splitlines())["admin_token"]
    hints = [line.split("#")[0].strip() for line in init.stderr.splitlines()
             if line.startswith("  ")]
    assert len(hints) == 2, init.stderr
    login, export = hints
    assert _shell("mpo list", home).returncode == 4  # nothing kept yet
    in_env = _shell(f"{export.replace('<admin_token>', token)}; mpo list", home)
    assert in_env.returncode == 0, in_env.stderr
    kept = _shell(login, home, stdin=token + "\n")  # "paste the token, then Ctrl-D"
    assert kept.returncode == 0, kept.stderr
    listed = _shell("mpo list", home)
    assert listed.returncode == 0, listed.stderr


def test_init_with_insecure_storage_is_ready_at_once(tmp_path: Path) -> None:
    home = tmp_path / "container"
    home.mkdir()
    done = _shell("mpo init --insecure-storage && mpo list && mpo auth status", home)
    assert done.returncode == 0, done.stderr
    assert "admin_token" not in done.stdout and "credentials.toml" in done.stdout

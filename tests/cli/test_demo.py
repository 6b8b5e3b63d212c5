"""`mpo demo` (issue 24): the README's install line ends with it, it makes a throwaway
database with a realistic week in it, and each command it prints works as written (the
terminal apps inside a real tmux)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import Run, environment
from tests.readback import fetch
from tests.tui.test_review_tmux import wait_for

ROOT = Path(__file__).parents[2]


def _install_line() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(x for x in readme.splitlines() if x.startswith("$ python3 -m venv"))
    return line.removeprefix("$ ").split("#")[0].strip()


def test_the_readme_install_line_ends_with_the_demo_and_ci_runs_it_verbatim() -> None:
    line = _install_line()
    assert line.endswith("pip install -e '.[test]' && mpo demo")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert line in ci


def _demo(mpo_process: Run, *args: str, **env: str) -> tuple[list[str], Path]:
    made = mpo_process("demo", *args, **env)
    assert made.returncode == 0, made.stderr
    commands = made.stdout.splitlines()
    assert len(commands) == 3, made.stdout
    database = Path(re.search(r"database +(\S+)", made.stderr).group(1))  # type: ignore[union-attr]
    return commands, database


def test_the_demo_is_a_week_of_work_in_a_throwaway_database(
        mpo_process: Run, isolation: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine.db"
    commands, database = _demo(mpo_process, MPO_DATABASE_URL=str(mine))
    assert not mine.exists()  # the user's database is never touched
    assert database.is_relative_to(isolation / ".cache")
    assert not (isolation / ".config" / "mpo" / "credentials.toml").exists()
    url = f"sqlite:///{database}"
    people = {(r["name"], r["role"], r["marketplace"])
              for r in fetch(url, "SELECT name, role, marketplace FROM principal")}
    for market in ("amazon", "shopee", "mercadolivre", "shein", "tiktokshop", "kaway"):
        assert (f"marketplace-{market}", "agent", market) in people
    assert {("marketplace-master", "master", None), ("ana", "member", None),
            ("bruno", "member", None)} <= people
    tasks = fetch(url, "SELECT status, marketplace, created_at FROM task")
    statuses = Counter(t["status"] for t in tasks)
    assert {"pending", "awaiting_approval", "rejected", "in_progress", "completed"} <= set(
        statuses)
    assert {t["marketplace"] for t in tasks} >= {"tiktokshop", "kaway"}
    created = sorted(datetime.fromisoformat(str(t["created_at"])) for t in tasks)
    assert created[-1] - created[0] > timedelta(days=5)
    assert {"duplicate", "low-value"} <= {t["rejection_code"] for t in fetch(
        url, "SELECT rejection_code FROM task WHERE status = 'rejected'")}
    events = fetch(url, "SELECT action, actor FROM task_event")
    assert {e["actor"] for e in events if e["action"] == "complete"} <= {"ana", "bruno"}
    for command in commands:
        assert command.startswith(f"mpo --db {database} --token-file ")


def test_each_printed_command_works_as_written(mpo_process: Run, tmp_path: Path) -> None:
    commands, _ = _demo(mpo_process, "--dir", str(tmp_path / "demo"))
    review, dashboard, report = commands
    assert report.endswith("report.html")
    ran = subprocess.run(["bash", "-c", report], capture_output=True, text=True,
                         env=environment(), timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "demo" / "report.html").read_text(encoding="utf-8").startswith(
        "<!doctype html>")
    for command, shows in ((review, "awaiting"), (dashboard, "tasks")):
        _in_tmux(command, shows, tmp_path / shows)


def _in_tmux(command: str, shows: str, tmp_path: Path) -> None:
    """Each command in its own tmux server (own socket, own directory): a server just
    killed may still hold its socket when the next `new-session` starts (CI saw exit 1)."""
    tmux = shutil.which("tmux")
    if tmux is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but tmux is missing (.ci/run installs it)")
        pytest.skip("tmux is not installed")
    tmp_path.mkdir()
    socket, done = tmp_path / "tmux.sock", tmp_path / "exit-code"
    env = {k: v for k, v in environment().items() if k not in ("COLUMNS", "LINES")}

    def tm(*args: str) -> str:
        ran = subprocess.run([tmux, "-S", str(socket), *args], env=env, check=False,
                             capture_output=True, text=True, timeout=10)
        assert ran.returncode == 0, f"tmux {args[0]}: {ran.stderr}"
        return ran.stdout

    def shown() -> str:
        return tm("capture-pane", "-p")

    tm("new-session", "-d", "-x", "100", "-y", "30", f"{command}; echo $? > {done}; sleep 5")
    try:
        wait_for(lambda: shows in shown(), f"{command} to show {shows!r}", shown)
        tm("send-keys", "q")
        wait_for(done.exists, f"{command} to exit", shown)
    finally:
        subprocess.run([tmux, "-S", str(socket), "kill-server"], env=env, check=False,
                       capture_output=True, timeout=10)
    assert done.read_text().strip() == "0", command


def test_the_demo_refuses_a_directory_with_something_in_it(
        mpo_process: Run, tmp_path: Path) -> None:
    (tmp_path / "x").write_text("mine", encoding="utf-8")
    refused = mpo_process("demo", "--dir", str(tmp_path))
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: dir: ") and "empty" in refused.stderr


def test_the_readme_names_each_system_package_ci_installs() -> None:
    """Issue 24: a fully green run needs chromium (and tmux, zsh, fish); the README says
    which test needs which, and `.ci/run` installs exactly those."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    installed = re.search(r"for shell in ([a-z ]+); do", ci)
    assert installed is not None
    for package in installed.group(1).split():
        row = next((line for line in readme.splitlines()
                    if line.startswith("| ") and f"`{package}`" in line.split("|")[1]), None)
        assert row is not None and "tests/" in row, package

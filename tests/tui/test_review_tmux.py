"""`mpo review` once through a real terminal: the installed script inside tmux at 80x24,
keys sent as a person types them, the database read back."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import environment
from tests.readback import fetch
from tests.tui.conftest import Propose

pytestmark = pytest.mark.e2e


def _tmux() -> str:
    found = shutil.which("tmux")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but tmux is missing (.ci/run installs it)")
        pytest.skip("tmux is not installed")
    return found


def wait_for(check: Callable[[], bool], what: str, screen: Callable[[], str],
             seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen()}")
        time.sleep(0.1)


def test_review_in_a_real_80x24_terminal(propose: Propose, db_url: str, tmp_path: Path) -> None:
    tmux = _tmux()
    propose(3)
    socket, done = tmp_path / "tmux.sock", tmp_path / "exit-code"
    # The terminal's size is tmux's: no COLUMNS/LINES from the test's isolation.
    env = {k: v for k, v in environment().items() if k not in ("COLUMNS", "LINES")}

    def tm(*args: str) -> str:
        return subprocess.run([tmux, "-S", str(socket), *args], env=env, check=True,
                              capture_output=True, text=True, timeout=10).stdout

    def shown() -> str:
        return tm("capture-pane", "-p")

    tm("new-session", "-d", "-x", "80", "-y", "24",
       f"mpo review; echo $? > {done}; sleep 5")
    try:
        wait_for(lambda: "3 awaiting" in shown() and "agent marketplace-amazon" in shown(),
                 "the queue and the highlighted task", shown)
        screen = shown().splitlines()
        assert len(screen) == 24 and "mpo review" in screen[0]
        tm("send-keys", "*")
        wait_for(lambda: "3 marked" in shown(), "the marks", shown)
        tm("send-keys", "a")
        wait_for(lambda: "The queue is empty" in shown(), "the approval", shown)
        tm("send-keys", "q")
        wait_for(done.exists, "mpo review to exit", shown)
    finally:
        subprocess.run([tmux, "-S", str(socket), "kill-server"], env=env, check=False,
                       capture_output=True, timeout=10)
    assert done.read_text().strip() == "0"
    rows = fetch(db_url, "SELECT status FROM task")
    assert [r["status"] for r in rows] == ["approved"] * 3

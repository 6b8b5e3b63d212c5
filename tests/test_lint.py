"""The house rules' static checks run with the tests, so `pytest -n auto` (what the README
says and `.ci/run` runs) checks everything: `ruff check src tests`, `mypy --strict src`.

The tools come from the test extra, next to the interpreter running the tests; without them
(outside CI) the checks skip, under CI=true they fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed next to {sys.executable}; "
                        "install the test extra: pip install -e '.[test]'")
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return str(path)


@pytest.mark.parametrize("command", [["ruff", "check", "src", "tests"],
                                     ["mypy", "--strict", "src"]], ids=["ruff", "mypy"])
def test_static_checks_are_clean(command: list[str]) -> None:
    done = subprocess.run([_tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]

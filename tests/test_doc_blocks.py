"""Every ```sh block in the README and docs/ runs as written (issue 11, defect 8), under the
convention docs/index.md states: each page in a fresh home, its blocks in order, each line
exiting 0 unless it ends with `# exit: N`; ```console blocks are illustrations.

A page whose first `mpo` command (but `mpo config`) is `mpo init` finds the migrated
template's copy where `mpo init` puts the database, as every initialised test does
(tests/migrated.py): `mpo init` then finds the schema at head instead of running every
migration, 2-3 s a page (issue 26). The README's tour runs them all, as a new user's first
`mpo init` does. `mpo` is the zygote's client (tests/zygote.py): mpo's own entry point in a
process of its own, without paying the interpreter's start and mpo's imports each line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import migrated, zygote
from tests.conftest import KEYRING_BACKEND

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent
_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.S | re.M)
_EXIT = re.compile(r"#\s*exit:\s*(\d+)\b")


def commands(block: str) -> list[tuple[str, int]]:
    """The block's commands (continuation lines joined) with the exit code each expects."""
    found: list[tuple[str, int]] = []
    pending = ""
    for line in block.splitlines():
        pending += line
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        code = _EXIT.search(pending)
        if pending.strip() and not pending.lstrip().startswith("#"):
            found.append((pending, int(code.group(1)) if code else 0))
        pending = ""
    return found


def script(blocks: list[str]) -> str:
    """A bash script that runs each command and stops at the first unexpected exit code."""
    lines = []
    for number, block in enumerate(blocks, start=1):
        for command, expected in commands(block):
            shown = command.strip().replace("'", "'\\''")
            lines += [command,
                      f"rc=$?; if [ $rc -ne {expected} ]; then echo 'block {number}: "
                      f"{shown}' >&2; echo \"exit $rc, expected {expected}\" >&2; exit 99; fi"]
    return "\n".join(lines) + "\n"


def _starts_with_init(blocks: list[str]) -> bool:
    first = next((line for block in blocks for line, _ in commands(block)
                  if line.startswith("mpo ") and not line.startswith("mpo config")), "")
    return first.split("#")[0].split() == ["mpo", "init"]


def _runnable() -> list[Path]:
    return [p for p in PAGES if _BLOCK.search(p.read_text())]


def test_the_convention_reads_lines_continuations_and_expected_codes() -> None:
    block = "mpo a \\\n  --b   # exit: 4\n# comment\n\nmpo c  # note\n"
    assert commands(block) == [("mpo a    --b   # exit: 4", 4), ("mpo c  # note", 0)]


@pytest.fixture(scope="module")
def mpo_bin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder whose `mpo` is the zygote's client (tests/zygote.py)."""
    folder = tmp_path_factory.mktemp("zygote")
    process = zygote.start(folder)
    yield folder / "bin"
    process.terminate()
    process.wait(timeout=30)


@pytest.mark.e2e
@pytest.mark.parametrize("page", _runnable(), ids=lambda p: p.name)
def test_every_sh_block_runs_as_written(page: Path, tmp_path: Path, mpo_bin: Path) -> None:
    home = tmp_path / "reader"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")} | {
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"), "XDG_CACHE_HOME": str(home / ".cache"),
        "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND, "NO_COLOR": "1",
        "PATH": os.pathsep.join((str(mpo_bin), str(BIN), os.environ.get("PATH", "")))}
    blocks = _BLOCK.findall(page.read_text())
    if page.name != "README.md" and _starts_with_init(blocks):
        migrated.prepare(f"sqlite:///{home / '.local' / 'share' / 'mpo' / 'mpo.db'}")
    done = subprocess.run(["bash", "-c", script(blocks)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, f"{page.name}: {done.stderr[-2000:]}"

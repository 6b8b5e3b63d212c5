"""Plugins through real entry points: docs/examples/mpo_example_plugin.py, installed as a
distribution on sys.path, and a broken plugin beside it that is reported, never fatal."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mpo.delivery import plugins
from tests.cli.steps import create
from tests.conftest import MpoRunner

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "mpo_example_plugin.py"
BROKEN = '''
from mpo.delivery.hookspecs import hookimpl

@hookimpl
def mpo_event(event):
    raise RuntimeError("the broken plugin broke")
'''


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The example plugin and a broken one, each a distribution with an entry point."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(EXAMPLE, site / "mpo_example_plugin.py")
    (site / "mpo_broken_plugin.py").write_text(BROKEN)
    for name, module in (("example", "mpo_example_plugin"), ("broken", "mpo_broken_plugin")):
        info = site / f"mpo_{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: mpo-{name}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[mpo.plugins]\n{name} = {module}\n")
    monkeypatch.syspath_prepend(str(site))
    plugins.manager.cache_clear()
    plugins.entries.cache_clear()
    yield site
    plugins.manager.cache_clear()
    plugins.entries.cache_clear()


def test_the_example_plugin_sees_events_validates_and_adds_a_command(
    runner: MpoRunner, db: Path, installed: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = tmp_path / "approvals.jsonl"
    monkeypatch.setenv("MPO_EXAMPLE_LOG", str(log))
    vague = runner("create", "-m", "amazon", "-t", "TODO", "-c", "analysis", "-e", "1")
    assert vague.exit_code == 2
    assert "task: title 'TODO' is too vague" in vague.stderr
    task = create(runner, "Rewrite titles")  # the agent proposes, so root may approve
    assert runner("submit", task["id"]).exit_code == 0
    approved = runner("approve", task["id"])
    assert approved.exit_code == 0  # the broken plugin raised after the commit: reported
    assert "warning: plugin broken (mpo_event) failed: RuntimeError: the broken plugin broke" \
        in approved.stderr
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["type"], e["data"]["task_id"]) for e in events] == [("task.approve", task["id"])]
    assert runner.json("show", task["id"])["status"] == "approved"
    hello = runner("hello", "--name", "ana")
    assert (hello.exit_code, hello.stdout) == (0, "hello, ana\n")
    assert runner("no-such-command").exit_code == 2


def test_help_loads_no_plugin_machinery() -> None:
    code = ("import sys; from mpo.cli.app import main\n"
            "try: main(['--help'])\nexcept SystemExit: pass\n"
            "print(sorted(m for m in ('pluggy', 'importlib.metadata', 'mpo.delivery.plugins')"
            " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_entry_points_found_are_kept_until_a_directory_of_the_path_changes(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert [name for name, _ in plugins.entries()] == ["broken", "example"]
    index = tmp_path / "cache" / "mpo" / "plugins.json"
    assert json.loads(index.read_text())["entries"] == [
        ["broken", "mpo_broken_plugin"], ["example", "mpo_example_plugin"]]
    # A stale index is believed only while the path's directories are unchanged ...
    stored = json.loads(index.read_text())
    index.write_text(json.dumps(stored | {"entries": [["ghost", "no_such_module"]]}))
    plugins.entries.cache_clear()
    assert plugins.entries() == [("ghost", "no_such_module")]
    # ... and installing a distribution (a new directory in site-packages) rescans.
    info = installed / "mpo_third-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mpo-third\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mpo.plugins]\nthird = mpo_example_plugin\n")
    plugins.entries.cache_clear()
    assert [name for name, _ in plugins.entries()] == ["broken", "example", "third"]

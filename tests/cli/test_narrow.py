"""Narrow terminals (issue 24): at 80, 100 and 120 columns no table drops or cuts what
identifies a row (id, who, when, name); too narrow a table takes two lines per row, and
free text takes the spare width. The demo's week, plus an agent with a long name and a
task with a long title."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MpoRunner, isolate

WIDTHS = (80, 100, 120)
LONG_AGENT = "marketplace-mercadolivre-night-shift"
LONG_TITLE = "Rewrite the GEO titles of every listing in the spring catalogue " * 2


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """The root options that reach the demo's database as its admin: one week for the
    module (its tests only read it), made in a private home as `isolation` makes one."""
    home = tmp_path_factory.mktemp("narrow")
    with pytest.MonkeyPatch.context() as patch:
        isolate(home, patch)
        yield _week(MpoRunner(), home)


def _week(runner: MpoRunner, tmp_path: Path) -> list[str]:
    where = tmp_path / "demo"
    made = runner("demo", "--dir", str(where))
    assert made.exit_code == 0, made.stderr
    root = ["--db", str(where / "mpo.db"), "--token-file", str(where / "admin.token")]
    token = runner(*root, "principal", "add", LONG_AGENT, "--role", "agent",
                   "--marketplace", "mercadolivre", "--fields", "token").stdout.split()[-1]
    agent = {"MPO_TOKEN": token}
    task = runner("--db", str(where / "mpo.db"), "create", "-m", "mercadolivre", "-t",
                  LONG_TITLE, "-c", "optimization", "-e", "3", "--json", env=agent)
    assert task.exit_code == 0, task.stderr
    runner("--db", str(where / "mpo.db"), "submit", "--mine", "--yes", env=agent)
    return root


def _at(runner: MpoRunner, root: list[str], width: int, *args: str) -> list[str]:
    shown = runner(*root, *args, env={"MPO_FORCE_TTY": "1", "COLUMNS": str(width)})
    assert shown.exit_code == 0, shown.stderr
    lines = re.sub(r"\x1b\[[0-9;]*m", "", shown.stdout).splitlines()
    assert all(len(line) <= width for line in lines), (width, args, lines)
    return lines


def _when(value: str) -> str:
    return value.replace("T", " ")[:16]


@pytest.mark.parametrize("width", WIDTHS)
def test_log_and_show_history_keep_who_and_when(
        runner: MpoRunner, week: list[str], width: int) -> None:
    events = runner.json(*week, "log", "-n", "12")
    text = "\n".join(_at(runner, week, width, "log", "-n", "12"))
    for event in events:
        assert re.search(rf"{_when(event['at'])} +{event['task_id'][:8]} +{event['actor']}\b",
                         text), (width, event)
    task = runner.json(*week, "list", "--status", "completed", "-n", "1")[0]["id"]
    history = runner.json(*week, "show", task)["history"]
    shown = "\n".join(_at(runner, week, width, "show", task))
    for event in history:
        assert re.search(rf"{_when(event['at'])} .*\b{event['actor']}\b", shown), event


@pytest.mark.parametrize("width", WIDTHS)
def test_status_keeps_every_agent_with_its_approval_rate_and_health(
        runner: MpoRunner, week: list[str], width: int) -> None:
    text = "\n".join(_at(runner, week, width, "status"))
    report = runner.json(*week, "status")
    for agent in report["agents"]:
        assert re.search(rf"^{agent['agent']} ", text, re.MULTILINE), agent
    assert "approval_rate" in text and "health" in text and "excellent" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_explain_keeps_every_term_of_the_score(
        runner: MpoRunner, week: list[str], width: int) -> None:
    lines = _at(runner, week, width, "list", "--sort", "score", "--explain", "-n", "5")
    for term in ("id", "score", "priority", "age", "due", "approval", "effort", "title"):
        assert term in lines[0], (width, term)


@pytest.mark.parametrize("width", WIDTHS)
def test_stats_tables_never_cut_a_name(runner: MpoRunner, week: list[str], width: int) -> None:
    text = "\n".join(_at(runner, week, width, "stats", "--since", "-8d"))
    assert "…" not in text
    for name in ("amazon", "mercadolivre", "tiktokshop", "marketplace-mercadolivre",
                 "marketplace-master", LONG_AGENT):
        assert re.search(rf"^{name} ", text, re.MULTILINE), (width, name)


@pytest.mark.parametrize("width", WIDTHS)
def test_list_keeps_ids_and_gives_the_title_the_spare_width(
        runner: MpoRunner, week: list[str], width: int) -> None:
    page = runner.json(*week, "list", "-n", "10")
    lines = _at(runner, week, width, "list", "-n", "10")
    for task in page:
        line = next(x for x in lines if x.startswith(task["id"][:8]))
        assert task["marketplace"] in line and task["status"] in line
    long_line = next(x for x in lines if LONG_TITLE[:15] in x)
    assert len(long_line.rstrip()) == width  # the title runs to the edge, then "…"
    assert long_line.rstrip().endswith("…")


def test_the_docs_show_a_capture_at_80_columns() -> None:
    page = (Path(__file__).parents[2] / "docs" / "output.md").read_text(encoding="utf-8")
    capture = page.split("### At 80 columns", 1)[1].split("```console\n", 1)[1]
    lines = capture.split("```", 1)[0].splitlines()
    assert any(line.startswith("$ mpo log") for line in lines)
    assert all(len(line) <= 80 for line in lines if not line.startswith("$ "))

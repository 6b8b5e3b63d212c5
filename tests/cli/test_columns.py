"""Tables that fit a terminal (issue 15): at 80, 120 and 200 columns one task is one line,
no id, status or marketplace is cut, the title ends in an ellipsis, low-value columns go
first, and `--wide` shows everything."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from mpo.cli.columns import layout
from tests.cli.steps import SQLITE_ONLY, create, task_in
from tests.conftest import MpoRunner

LONG = "Rewrite the GEO titles of every listing in the catalogue " * 3


def lines_of(text: str) -> list[str]:
    return re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()


@pytest.fixture
def made(runner: MpoRunner, initialised: str) -> list[tuple[str, str, str]]:
    """(id, status, marketplace) of tasks with long titles in the widest statuses."""
    return [
        (task_in(runner, "awaiting_approval", LONG + "\nsecond line", marketplace="mercadolivre"),
         "awaiting_approval", "mercadolivre"),
        (task_in(runner, "in_progress", LONG, marketplace="tiktokshop"), "in_progress",
         "tiktokshop"),
        (str(create(runner, "short")["id"]), "pending", "amazon"),
    ]


@SQLITE_ONLY
def test_one_task_is_one_line_at_80_120_and_200_columns_and_wide_shows_all(
    runner: MpoRunner, made: list[tuple[str, str, str]]
) -> None:
    for columns in (80, 120, 200):
        result = runner("list", env={"MPO_FORCE_TTY": "1", "COLUMNS": str(columns)})
        assert result.exit_code == 0, result.stderr
        header, rule, *body = lines_of(result.stdout)
        assert len(body) == len(made), columns  # one task, one line
        assert all(len(line) <= columns for line in (header, rule, *body)), columns
        for line in body:
            _, status, marketplace = next(m for m in made if m[0][:8] == line[:8])
            assert re.search(rf"\b{status}\b", line), (columns, line)
            assert re.search(rf"\b{marketplace}\b", line), (columns, line)
        long_line = next(line for line in body if line.startswith(made[0][0][:8]))
        assert long_line.rstrip().endswith("…"), columns
        assert "second line" not in result.stdout
        assert ("created_at" in header) is (columns == 200)  # dropped first when narrow
    wide = runner("list", "--wide", env={"MPO_FORCE_TTY": "1", "COLUMNS": "80"})
    header, _, *body = lines_of(wide.stdout)
    for name in ("created_at", "created_by", "estimated_hours", "category", "title"):
        assert name in header
    assert len(body) == 3 and LONG.strip() in wide.stdout  # --wide: everything, in full


def test_the_title_gives_way_before_any_column_is_dropped_below_its_minimum() -> None:
    fields = ("id", "status", "priority", "created_at", "title")
    kept = layout(fields, [8, 17, 8, 16, 200], 90, 3)
    assert [c.field for c in kept] == ["id", "status", "priority", "created_at", "title"]
    assert sum(c.width or 0 for c in kept) + 3 * 4 == 90
    narrow = layout(fields, [8, 17, 8, 16, 200], 70, 3)
    assert [c.field for c in narrow] == ["id", "status", "priority", "title"]
    # Too narrow for every minimum: the title gives way, a short `detail` keeps its width.
    result = layout(("id", "outcome", "from_status", "to_status", "title", "detail"),
                    [8, 12, 17, 9, 41, 6], 80, 3)
    assert {c.field: c.width for c in result}["detail"] == 6
    assert sum(c.width or 0 for c in result) + 3 * 5 == 80


@SQLITE_ONLY
def test_show_prints_the_history_in_every_format(runner: MpoRunner, initialised: str) -> None:
    task_id = task_in(runner, "approved")
    actions = ["create", "submit", "approve"]
    tsv = dict(line.split("\t", 1) for line in runner("show", task_id).stdout.splitlines())
    assert [e["action"] for e in json.loads(tsv["history"])] == actions
    row = next(csv.DictReader(io.StringIO(runner("show", task_id, "--csv").stdout)))
    assert row["id"] == task_id and [e["action"] for e in json.loads(row["history"])] == actions
    lines = runner("show", task_id, "--jsonl").stdout.splitlines()
    assert len(lines) == 1 and [e["action"] for e in json.loads(lines[0])["history"]] == actions
    table = runner("show", task_id, env={"MPO_FORCE_TTY": "1", "COLUMNS": "80"}).stdout
    assert "history" in table and "approve" in table

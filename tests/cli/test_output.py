"""The one output layer, through real commands: every format parsed back, TSV's escaping,
tables on a (forced) terminal, user text never read as markup, NO_COLOR."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta

import pytest

from mpo.cli.output import Mode, Output
from mpo.report import fields
from tests.cli.steps import SQLITE_ONLY, create, task_in
from tests.conftest import MpoRunner

LONG_TITLE = "Rewrite GEO titles " + "x" * 181  # 200 characters
TRICKY = "tab\there, newline\nhere, backslash \\ here"
MARKUP = "[bold]x[/bold] [red]y[/] :smile:"


def unescape(cell: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "\\": "\\"}[m.group(1)], cell)


def styled_off(text: str) -> str:
    """Terminal output without its escape codes (bold headers)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def utc(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    assert parsed.utcoffset() == timedelta(0), text
    return parsed


@pytest.fixture
def tasks(runner: MpoRunner, initialised: str) -> list[dict[str, object]]:
    return [create(runner, LONG_TITLE, "--tag", "geo,seo", "--metadata", '{"n": 1}'),
            create(runner, "second", "--description", TRICKY)]


@SQLITE_ONLY
def test_json_is_an_array_of_every_field_by_default(runner: MpoRunner,
                                                    tasks: list[dict[str, object]]) -> None:
    rows = runner.json("list")
    assert [tuple(r) for r in rows] == [fields.TASK.all] * 2
    assert [r["id"] for r in rows] == [t["id"] for t in reversed(tasks)]
    assert rows[1]["title"] == LONG_TITLE and rows[1]["tags"] == ["geo", "seo"]
    assert rows[1]["metadata"] == {"n": 1} and rows[0]["description"] == TRICKY
    utc(rows[0]["created_at"])


@SQLITE_ONLY
def test_fields_choose_and_order_the_keys(runner: MpoRunner, tasks: list[dict[str, object]]
                                          ) -> None:
    assert [tuple(r) for r in runner.json("list", "--fields", "title,id")] == [("title", "id")] * 2


@SQLITE_ONLY
def test_json_lines_are_one_object_per_line(runner: MpoRunner, tasks: list[dict[str, object]]
                                            ) -> None:
    result = runner("list", "--jsonl", "--fields", "id,description")
    lines = result.stdout.splitlines()
    assert [json.loads(line)["description"] for line in lines] == [TRICKY, ""]


@SQLITE_ONLY
def test_csv_has_a_header_and_parses_back(runner: MpoRunner, tasks: list[dict[str, object]]
                                          ) -> None:
    result = runner("list", "--csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == fields.TASK.all
    assert rows[0]["description"] == TRICKY
    assert rows[1]["title"] == LONG_TITLE
    assert json.loads(rows[1]["tags"]) == ["geo", "seo"]
    assert rows[1]["actual_hours"] == ""  # None is empty
    utc(rows[1]["created_at"])


@SQLITE_ONLY
def test_piped_output_is_tsv_without_header_or_truncation(
    runner: MpoRunner, tasks: list[dict[str, object]]
) -> None:
    result = runner("list")
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    cells = [line.split("\t") for line in lines]
    assert all(len(row) == len(fields.TASK.default) for row in cells)
    by_field = [dict(zip(fields.TASK.default, row, strict=True)) for row in cells]
    assert by_field[1]["title"] == LONG_TITLE
    assert by_field[1]["id"] == tasks[0]["id"]  # full ids, not prefixes
    assert by_field[1]["estimated_hours"] == "4.0"
    utc(by_field[1]["created_at"])


@SQLITE_ONLY
def test_tsv_escapes_tabs_newlines_and_backslashes(runner: MpoRunner,
                                                   tasks: list[dict[str, object]]) -> None:
    line = runner("list", "--fields", "description,id", "--limit", "1").stdout
    assert line.count("\n") == 1 and line.count("\t") == 1
    description, _ = line.rstrip("\n").split("\t")
    assert description == "tab\\there, newline\\nhere, backslash \\\\ here"
    assert unescape(description) == TRICKY


@SQLITE_ONLY
def test_a_piped_record_is_field_tab_value_lines(runner: MpoRunner,
                                                 tasks: list[dict[str, object]]) -> None:
    result = runner("show", str(tasks[1]["id"]))
    pairs = [line.split("\t") for line in result.stdout.splitlines()]
    assert [p[0] for p in pairs] == [*fields.TASK.all, "history"]
    assert dict(pairs)["description"] == "tab\\there, newline\\nhere, backslash \\\\ here"


@SQLITE_ONLY
def test_a_forced_terminal_gets_a_table(runner: MpoRunner, tasks: list[dict[str, object]]
                                        ) -> None:
    result = runner("list", env={"MPO_FORCE_TTY": "1"})
    assert result.exit_code == 0
    table = styled_off(result.stdout)
    assert table.startswith("id ") and "\n──" in table
    for name in fields.TASK.default:
        assert name in table
    assert str(tasks[1]["id"])[:8] in table and str(tasks[1]["id"]) not in table


@SQLITE_ONLY
def test_a_table_keeps_the_title_visible_on_a_narrow_terminal(
    runner: MpoRunner, tasks: list[dict[str, object]]
) -> None:
    result = runner("list", env={"MPO_FORCE_TTY": "1", "COLUMNS": "80"})
    assert "second" in result.stdout
    assert str(tasks[0]["id"])[:8] in result.stdout


@SQLITE_ONLY
def test_user_text_is_printed_literally_never_as_markup(runner: MpoRunner,
                                                        initialised: str) -> None:
    task_id = task_in(runner, "pending", MARKUP)
    table = styled_off(runner("list", env={"MPO_FORCE_TTY": "1"}).stdout)
    assert MARKUP in table
    detail = styled_off(runner("show", task_id, env={"MPO_FORCE_TTY": "1"}).stdout)
    assert MARKUP in detail
    assert runner("list", "--fields", "title").stdout == MARKUP + "\n"


@SQLITE_ONLY
def test_no_color_means_no_colour_codes(runner: MpoRunner, initialised: str) -> None:
    task_in(runner, "pending", MARKUP)
    table = runner("list", env={"MPO_FORCE_TTY": "1", "NO_COLOR": "1"}).stdout
    colours = re.findall(r"\x1b\[([0-9;]*)m", table)
    assert not [c for c in colours if re.search(r"(^|;)(3[0-9]|4[0-9]|9[0-7]|10[0-7])(;|$)", c)]


def test_the_console_honours_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Output(Mode.TABLE, ("id",)).console().no_color
    monkeypatch.delenv("NO_COLOR")
    assert not Output(Mode.TABLE, ("id",)).console().no_color


@SQLITE_ONLY
def test_empty_results_in_every_format(runner: MpoRunner, initialised: str) -> None:
    assert runner("list", "--json").stdout == "[]\n"
    assert runner("list", "--jsonl").stdout == ""
    assert runner("list", "--csv", "--fields", "id,title").stdout == "id,title\n"
    assert runner("list").stdout == ""


@SQLITE_ONLY
def test_show_json_is_one_object_with_its_history(runner: MpoRunner, initialised: str) -> None:
    shown = runner.json("show", task_in(runner, "approved"))
    assert isinstance(shown, dict)
    assert [e["action"] for e in shown["history"]] == ["create", "submit", "approve"]
    assert tuple(shown["history"][0]) == fields.EVENT.all


@SQLITE_ONLY
@pytest.mark.parametrize(("args", "message"), [
    (["--json", "--csv"], "output: choose one of --json, --jsonl, --csv"),
    (["--fields", "id,colour"], "fields: unknown task field 'colour'; valid fields: id, "),
])
def test_conflicting_or_unknown_output_options_are_usage_errors(
    runner: MpoRunner, initialised: str, args: list[str], message: str
) -> None:
    result = runner("list", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


@SQLITE_ONLY
def test_every_command_checks_fields_against_its_own_kind(runner: MpoRunner,
                                                          initialised: str) -> None:
    result = runner("log", "--fields", "title")
    assert result.exit_code == 2
    assert f"valid fields: {', '.join(fields.EVENT.all)}" in result.stderr
    result = runner("submit", "--all", "--fields", "status")
    assert f"valid fields: {', '.join(fields.RESULT.all)}" in result.stderr

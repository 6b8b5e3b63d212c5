"""`mpo stats` through the real app, on SQLite and PostgreSQL: the hand-computed day of
`tests/stats_fixture` in every output form, time zones, bad input, and the cron line."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import MpoRunner
from tests.installed import MPO
from tests.stats_fixture import build

DAY = ("--day", "2026-03-02", "--tz", "UTC")


@pytest.fixture
def history(initialised: str) -> str:
    build(initialised)
    return initialised


def test_json_carries_the_hand_computed_day(runner: MpoRunner, history: str) -> None:
    doc = runner.json("stats", *DAY, "--backlog-age", "12h")

    assert doc["schema_version"] == 1
    assert doc["pipeline"]["window"] == {"created": 10, "submitted": 9, "approved": 5,
                                         "rejected": 3, "started": 4, "completed": 3}
    assert doc["approval"]["rate"] == 0.625
    assert doc["approval"]["turnaround_hours"] == {"n": 8, "median": 3.0, "p90": 9.3}
    assert doc["execution"]["started_to_completed_hours"] == {"n": 3, "median": 4.0,
                                                              "p90": 5.6}
    assert doc["estimates"]["accuracy_mean"] == 0.5833
    assert doc["estimates"]["ratio"]["median"] == 1.25
    agents = {a["key"]: a for a in doc["agents"]}
    assert agents["marketplace-amazon"]["approval_rate"] == 0.8
    assert agents["marketplace-amazon"]["mean_estimated_hours"] == 4.0
    assert doc["backlog"]["awaiting_approval"]["older_than"] == 1


def test_csv_has_one_row_per_group_under_the_groupings_name(runner: MpoRunner,
                                                            history: str) -> None:
    result = runner("stats", *DAY, "--by", "agent", "--csv")
    assert result.exit_code == 0, result.stderr

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["agent", "created", "submitted", "approved", "rejected",
                             "started", "completed", "approval_rate", "created_per_day",
                             "mean_estimated_hours", "accuracy_mean", "within_20_share"]
    assert [(r["agent"], r["created"], r["approval_rate"], r["accuracy_mean"]) for r in rows
            ] == [("marketplace-amazon", "5", "0.8", "0.875"),
                  ("marketplace-master", "1", "0.0", ""),
                  ("marketplace-shopee", "4", "0.5", "0.0")]


def test_piped_output_is_a_plain_text_report(runner: MpoRunner, history: str) -> None:
    result = runner("stats", *DAY)
    assert result.exit_code == 0, result.stderr
    text = result.stdout

    assert "\x1b[" not in text and "│" not in text  # no colours, no box drawing
    assert "approval      62.5% of 8 decisions; turnaround median 3.0 h, p90 9.3 h" in text
    lines = text.splitlines()
    amazon = next(line for line in lines if line.startswith("amazon "))
    assert amazon.split() == ["amazon", "6", "6.00", "4", "2", "66.7%", "2", "87.5%",
                              "50.0%", "4.67"]
    assert ["2026-03-02", "6", "4", "10"] in [line.split() for line in lines]  # per day
    assert any(line.startswith("duplicate") and line.endswith("#" * 30) for line in lines)


def test_a_terminal_gets_tables_sparklines_and_bars(runner: MpoRunner, history: str) -> None:
    result = runner("stats", *DAY, env={"MPO_FORCE_TTY": "1"})
    assert result.exit_code == 0, result.stderr

    assert "by marketplace" in result.stdout
    assert "created per day" in result.stdout
    assert "█" * 30 in result.stdout  # the most frequent rejection reason's bar
    assert "marketplace-master" in result.stdout


def test_html_is_one_self_contained_file(runner: MpoRunner, history: str,
                                         tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = runner("stats", *DAY, "--json", "--html", str(page))
    assert result.exit_code == 0, result.stderr

    assert json.loads(result.stdout)["schema_version"] == 1
    assert f"wrote {page}" in result.stderr
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") >= 2 and "<table>" in html
    for external in ("<script", "<link", "src=", "href=", "https://"):
        assert external not in html


def _local_yesterday(zone: str) -> set[str]:
    """The start of yesterday in `zone`, as the report spells it (two, around midnight)."""
    tz = ZoneInfo(zone)
    return {datetime.combine(datetime.now(tz).date() - timedelta(days=days),
                             datetime.min.time(), tz).astimezone(ZoneInfo("UTC")).isoformat()
            for days in (1, 2)}


def test_the_zone_decides_what_yesterday_means(runner: MpoRunner, history: str) -> None:
    east = runner.json("stats", "--day", "yesterday",
                       env={"MPO_TIMEZONE": "Pacific/Kiritimati"})  # the setting: UTC+14
    west = runner.json("stats", "--day", "yesterday", "--tz", "Pacific/Pago_Pago",
                       env={"MPO_TIMEZONE": "Pacific/Kiritimati"})  # the flag wins: UTC-11

    assert east["window"]["timezone"] == "Pacific/Kiritimati"
    assert east["window"]["since"] in _local_yesterday("Pacific/Kiritimati")
    assert west["window"]["timezone"] == "Pacific/Pago_Pago"
    assert west["window"]["since"] in _local_yesterday("Pacific/Pago_Pago")
    assert east["window"]["since"] != west["window"]["since"]


@pytest.mark.parametrize(("args", "message"), [
    (("--by", "colour"), "by: 'colour' is not one of marketplace, agent, category"),
    (("--day", "yesterday", "--since", "-7d"), "give --day, or --since/--until, not both"),
    (("--since", "soon"), "since: 'soon' is not an ISO date"),
    (("--tz", "Mars/Olympus"), "tz: 'Mars/Olympus' is not an IANA time zone"),
    (("-m", "ebay"), "marketplace: 'ebay' is not one of amazon"),
    (("--json", "--csv"), "choose one of --json, --jsonl, --csv"),
    (("--html", "/nonexistent/dir/report.html"), "html: cannot write"),
])
def test_bad_input_is_one_line_and_exit_2(runner: MpoRunner, history: str,
                                          args: tuple[str, ...], message: str) -> None:
    result = runner("stats", *args)

    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and not result.stdout


def test_stats_is_in_the_help(runner: MpoRunner) -> None:
    assert "stats" in runner("--help").stdout
    help_text = runner("stats", "--help").stdout
    assert "--day" in help_text and "--backlog-age" in help_text


@pytest.mark.e2e
def test_the_cron_line_prints_json_for_yesterday(history: str) -> None:
    result = subprocess.run([MPO, "stats", "--day", "yesterday", "--json"],
                            capture_output=True, text=True, env=dict(os.environ), check=False)

    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema_version"] == 1 and doc["window"]["days"] == 1.0  # a UTC day
    assert doc["pipeline"]["now"]["completed"] == 3


def test_stats_group_by_listing(runner: MpoRunner, initialised: str) -> None:
    for listing in ("MLB1", "MLB1", "MLB2"):
        runner.json("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1",
                    "--listing", listing)
    groups = runner.json("stats", "--by", "listing")["groups"]
    assert {g["key"]: g["created"] for g in groups} == {"MLB1": 2, "MLB2": 1}

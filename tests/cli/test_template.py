"""`mpo template` and `mpo tick`: templates kept and shown, one-off runs, and scheduled
occurrences made exactly once per period, even by four processes ticking at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import readback
from tests.cli.steps import SQLITE_ONLY
from tests.conftest import MpoRunner

TEMPLATE = ("-m", "amazon", "-t", "Hourly stock check", "-c", "analysis", "-e", "1",
            "--created-by", "marketplace-amazon", "--due", "+2d")
#: Waits for the go file, then ticks in-process: the four start together.
TICKER = """
import sys, time
from pathlib import Path
from mpo.cli.app import main
while not Path(sys.argv[1]).exists():
    time.sleep(0.01)
main(["tick", "--at", "2026-12-01T10:30:00+00:00", "--json"])
"""


@SQLITE_ONLY
def test_templates_are_added_listed_shown_run_and_removed(runner: MpoRunner, initialised: str
                                                          ) -> None:
    added = runner.json("template", "add", "stock", *TEMPLATE, "--every", "0 * * * *")
    assert (added["name"], added["every"], added["fields"]["due_date"]) == (
        "stock", "0 * * * *", "+2d")
    assert [t["name"] for t in runner.json("template", "list")] == ["stock"]
    assert runner.json("template", "show", "stock")["created_by"] == "root"
    task = runner.json("template", "run", "stock")
    assert (task["title"], task["source_type"], task["status"]) == (
        "Hourly stock check", "manual", "pending")
    again = runner("template", "add", "stock", *TEMPLATE)
    assert again.exit_code == 5 and "already exists" in again.stderr
    bad = runner("template", "add", "bad", *TEMPLATE, "--every", "every monday")
    assert bad.exit_code == 2 and "every: 'every monday' is not a cron expression" in bad.stderr
    invalid = runner("template", "add", "bad", "-m", "amazon", "-t", "x", "-c", "misc",
                     "-e", "1")
    assert invalid.exit_code == 2 and "category: 'misc' is not one of" in invalid.stderr
    assert runner("template", "remove", "stock").exit_code == 0
    assert runner("template", "show", "stock").exit_code == 3


def test_four_processes_ticking_at_once_make_each_period_exactly_once(
    runner: MpoRunner, initialised: str, tmp_path: Path
) -> None:
    runner.json("template", "add", "stock", *TEMPLATE, "--every", "0 * * * *",
                "--starts", "2026-11-30T00:00:00+00:00")
    go = tmp_path / "go"
    env = os.environ | {"MPO_DATABASE_URL": initialised, "MPO_DEBUG": "",
                        "MPO_TICK_CATCH_UP": "10"}
    tickers = [subprocess.Popen([sys.executable, "-c", TICKER, str(go)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(4)]
    go.touch()
    outcomes = [(t.wait(timeout=120), t.stderr.read() if t.stderr else "") for t in tickers]
    assert [code for code, _ in outcomes] == [0, 0, 0, 0], outcomes
    tasks = readback.tasks(initialised)
    periods = sorted(t["idempotency_key"] for t in tasks.values())
    assert len(periods) == 10 == len(set(periods))
    assert periods[0] == "template:stock:2026-12-01T01:00:00+00:00"
    assert {t["source_type"] for t in tasks.values()} == {"scheduled"}
    retried = runner("tick", "--at", "2026-12-01T10:30:00+00:00")
    assert "created 0, existing 10" in retried.stderr
    later = runner.json("tick", "--at", "2026-12-01T11:00:00+00:00")
    assert [t["idempotency_key"] for t in later] == ["template:stock:2026-12-01T11:00:00+00:00"]
    assert {str(t["due_date"]) for t in readback.tasks(initialised).values()} == {"2026-12-03"}

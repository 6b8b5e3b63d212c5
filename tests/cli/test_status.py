"""`mpo status`: the agents and queue for people and programs, and `--check` for cron."""

from __future__ import annotations

from tests.cli.steps import SQLITE_ONLY, task_in
from tests.conftest import MpoRunner


@SQLITE_ONLY
def test_status_reports_and_check_exits_10_only_when_an_alert_fires(
    runner: MpoRunner, initialised: str
) -> None:
    task_in(runner, "approved")
    task_in(runner, "awaiting_approval")
    task_in(runner, "rejected", marketplace="shopee")  # no agent is silent
    document = runner.json("status")
    assert document["queue"]["approved_unassigned"] == 1
    assert document["agents"][0]["agent"] == "marketplace-amazon"
    assert document["agents"][0]["health"] == "excellent"
    assert document["agents"][1]["agent"] == "marketplace-shopee"
    assert runner("status", "--check").exit_code == 0
    piped = runner("status")
    assert piped.stdout.splitlines()[0].split("\t")[:2] == ["marketplace-amazon", "amazon"]
    alarmed = runner("status", "--check", env={"MPO_ALERT_AWAITING_OVER": "0"})
    assert alarmed.exit_code == 10
    assert alarmed.stderr.endswith("error: 1 alert(s): 1 tasks await approval (more than 0)\n")

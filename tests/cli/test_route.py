"""`mpo route` and auto-assignment on approval, with rules checked when they are written."""

from __future__ import annotations

from tests import readback
from tests.cli.steps import SQLITE_ONLY, task_in
from tests.conftest import MpoRunner


@SQLITE_ONLY
def test_rules_are_checked_when_written(runner: MpoRunner, initialised: str) -> None:
    assert runner("config", "set", "teams", '{"Ads": ["ana", "bea"]}').exit_code == 0
    unknown = runner("config", "set", "routing", '[{"name": "x", "assignees": ["zed"]}]')
    assert (unknown.exit_code, unknown.stderr) == (
        2, "error: routing[0] (x): unknown assignee 'zed'; people in teams: ana, bea\n")
    empty = runner("config", "set", "teams", '{"Ads": []}')
    assert empty.exit_code == 2 and "a team needs at least one person" in empty.stderr
    assert runner("config", "get", "routing").stdout == "\n"  # nothing was stored


@SQLITE_ONLY
def test_route_and_auto_assign_on_approval(runner: MpoRunner, initialised: str) -> None:
    runner("config", "set", "teams", '{"Ads": ["ana", "bea"], "Reports": ["cy"]}')
    runner("config", "set", "routing", '[{"name": "reports", "category": ["analysis"], '
           '"team": "Reports"}, {"name": "ads", "team": "Ads", "strategy": "least-loaded"}]')
    waiting = task_in(runner, "approved")
    planned = runner.json("route", "--dry-run")
    assert [(r["id"], r["outcome"], r["detail"]) for r in planned] == [
        (waiting, "would_change", "rule ads (least-loaded) -> ana")]
    assert readback.statuses(initialised)[waiting] == "approved"
    assert runner.json("route")[0]["to_status"] == "in_progress"
    runner("config", "set", "auto_assign", "true")
    proposal = task_in(runner, "awaiting_approval")
    rows = runner.json("approve", proposal)
    assert [(r["action"], r["to_status"], r["detail"]) for r in rows] == [
        ("approve", "approved", None), ("assign", "in_progress", "rule ads (least-loaded) -> bea")]
    event = readback.events(initialised)[-1]
    assert event["payload"]["rule"] == "ads"


@SQLITE_ONLY
def test_bad_rules_from_the_environment_stop_an_approval_before_it_starts(
    runner: MpoRunner, initialised: str
) -> None:
    proposal = task_in(runner, "awaiting_approval")
    env = {"MPO_AUTO_ASSIGN": "true", "MPO_ROUTING": '[{"name": "x", "assignees": ["zed"]}]'}
    result = runner("approve", proposal, env=env)
    assert result.exit_code == 2 and "unknown assignee 'zed'" in result.stderr
    assert readback.statuses(initialised)[proposal] == "awaiting_approval"

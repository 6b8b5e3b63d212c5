"""`mpo estimate`, and the prediction in `mpo create --json` and `mpo show --json`, on both
databases; an agent learns from its own marketplace only."""

from __future__ import annotations

import json
import math

import pytest

from tests.cli.steps import agent_token
from tests.conftest import MpoRunner

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _learn(runner: MpoRunner) -> dict[str, list[str]]:
    """Six completed analysis tasks per marketplace, 2 h estimated: amazon's took 3 h
    (ratio 1.5), shopee's 1 h (ratio 0.5). One bulk create per marketplace, by its own agent
    (so the admin may approve them), then the lifecycle in batches."""
    made = []
    for mp in ("amazon", "shopee"):
        lines = "\n".join(
            json.dumps({"marketplace": mp, "title": f"{mp} {i}", "category": "analysis",
                        "estimated_hours": 2})
            for i in range(6))
        made += runner.json("create", "--from", "-", input=lines,
                            env={"MPO_TOKEN": agent_token(runner, mp)})
    for args in (["submit", "--all"], ["approve", "--all"], ["assign", "--all", "--to", "ana"],
                 ["complete", "-m", "amazon", "--actual-hours", "3"],
                 ["complete", "-m", "shopee", "--actual-hours", "1"]):
        result = runner(*args, "--yes")
        assert result.exit_code == 0, result.stderr
    return {mp: [t["id"] for t in made if t["marketplace"] == mp] for mp in ("amazon", "shopee")}


def test_predictions_for_new_and_stored_tasks(runner: MpoRunner, initialised: str) -> None:
    _learn(runner)
    found = runner.json("estimate", "-m", "amazon", "-c", "analysis", "-e", "4")["prediction"]
    # global: ratios 1.5 x6 and 0.5 x6 -> median exp((ln .5 + ln 1.5)/2) = sqrt(.75);
    # both narrower groups are amazon's 6 tasks at 1.5:
    # (6 ln1.5 + 5 ln sqrt(.75)) / 11, then (6 ln1.5 + 5 * that) / 11.
    first = (6 * math.log(1.5) + 5 * 0.5 * math.log(0.75)) / 11
    ratio = math.exp((6 * math.log(1.5) + 5 * first) / 11)
    assert found["n"] == 6
    assert [lv["n"] for lv in found["levels"]] == [12, 6, 6]
    assert found["levels"][0]["median_ratio"] == pytest.approx(0.75 ** 0.5, abs=1e-4)
    assert found["predicted_hours"] == pytest.approx(4 * ratio, abs=0.01)

    made = runner.json("create", "-m", "shopee", "-t", "new", "-c", "analysis", "-e", "2",
                       "--created-by", "marketplace-shopee")
    assert made["prediction"]["predicted_hours"] < 2
    shown = runner.json("show", made["id"][:8])
    assert shown["prediction"] == made["prediction"]
    on_terminal = runner("show", made["id"][:8], env={"MPO_FORCE_TTY": "1"})
    assert f"predicted {made['prediction']['predicted_hours']:g} h" in on_terminal.stdout
    estimated = runner.json("estimate", made["id"][:8])
    assert estimated["id"] == made["id"] and estimated["prediction"] == made["prediction"]


def test_an_agent_learns_from_its_own_marketplace_only(runner: MpoRunner,
                                                       initialised: str) -> None:
    learnt = _learn(runner)
    token = agent_token(runner)
    found = runner.json("estimate", "-c", "analysis", "-e", "2",
                        env={"MPO_TOKEN": token})["prediction"]
    assert [lv["n"] for lv in found["levels"]] == [6, 6, 6]
    assert found["predicted_hours"] == pytest.approx(3.0)
    hidden = runner("estimate", learnt["shopee"][0], env={"MPO_TOKEN": token})
    assert hidden.exit_code == 3, hidden.stderr


@SQLITE_ONLY  # refusals happen before the database matters
def test_without_history_there_is_no_prediction(runner: MpoRunner, initialised: str) -> None:
    result = runner("estimate", "-m", "amazon", "-c", "analysis", "-e", "2", "--json")
    assert result.exit_code == 0, result.stderr
    assert '"prediction": null' in result.stdout
    made = runner.json("create", "-m", "amazon", "-t", "x", "-c", "analysis", "-e", "1")
    assert "prediction" not in made


@SQLITE_ONLY  # refusals happen before the database matters
def test_bad_input_names_the_field(runner: MpoRunner, initialised: str) -> None:
    result = runner("estimate", "-m", "nowhere", "-c", "analysis", "-e", "2")
    assert result.exit_code == 2 and "marketplace" in result.stderr
    result = runner("estimate", "abcd", "-c", "analysis")
    assert result.exit_code == 2 and "not both" in result.stderr


@SQLITE_ONLY
def test_estimate_refuses_an_unknown_created_by(runner: MpoRunner, initialised: str) -> None:
    """Issue 24: a principal that does not exist is refused, naming close ones."""
    result = runner("estimate", "-m", "amazon", "-c", "analysis", "-e", "4",
                    "--created-by", "marketplace-amazonn")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: created-by: no active agent or master named "
                                    "marketplace-amazonn; close: marketplace-amazon")
    assert runner("estimate", "-m", "amazon", "-c", "analysis", "-e", "4", "--created-by",
                  "marketplace-amazon").exit_code == 0


@SQLITE_ONLY
def test_show_of_a_completed_task_shows_actual_against_predicted(
        runner: MpoRunner, initialised: str) -> None:
    """Issue 24: a completed task no longer reads "predicted 6 h" as if it were open."""
    done = _learn(runner)["amazon"][0]
    shown = runner("show", done[:8], env={"MPO_FORCE_TTY": "1"}).stdout
    assert "actual 3 h against predicted " in shown
    assert "\npredicted " not in shown

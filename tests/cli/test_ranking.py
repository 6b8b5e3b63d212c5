"""`mpo list --sort score --explain`, and the weights in the config."""

from __future__ import annotations

import json

import pytest

from tests.cli.steps import agent_token
from tests.conftest import MpoRunner

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _tasks(runner: MpoRunner) -> dict[str, str]:
    """Each marketplace's agent proposes its own tasks (so the admin may decide them)."""
    made: dict[str, str] = {}
    for marketplace, tasks in (
            ("amazon", ({"title": "low", "category": "analysis", "priority": "low"},
                        {"title": "medium", "category": "scaling", "priority": "medium"})),
            ("shopee", ({"title": "high", "category": "analysis", "priority": "high"},))):
        lines = "\n".join(json.dumps(t | {"marketplace": marketplace, "estimated_hours": 8})
                          for t in tasks)
        created = runner.json("create", "--from", "-", input=lines,
                              env={"MPO_TOKEN": agent_token(runner, marketplace)})
        made |= {t["title"]: t["id"] for t in created}
    return made


def test_tasks_are_ordered_and_explained_by_score(runner: MpoRunner, initialised: str) -> None:
    ids = _tasks(runner)
    # shopee's agent has one approval, amazon's one rejection.
    for args in (["submit", "--all"], ["approve", ids["high"]],
                 ["reject", ids["low"], "--reason-code", "other"]):
        assert runner(*args, "--yes").exit_code == 0
    listed = runner.json("list", "--sort", "score")
    assert [t["title"] for t in listed] == ["high", "medium", "low"]
    explained = {r["title"]: r for r in runner.json("list", "--sort", "score", "--explain")}
    # fresh tasks (age 0), no due dates, 8 h each (no history) -> effort 0.5 x 5 = 2.5;
    # high: 40 + 1.0 x 10; medium: 20 + 0 (amazon: 0 of 1 approved); low: 0 + 0.
    assert explained["high"] | {"id": None} == {
        "id": None, "score": 52.5, "priority": 40.0, "age": 0.0, "due": 0.0,
        "approval": 10.0, "effort": 2.5, "approval_rate": 1.0, "predicted_hours": 8.0,
        "title": "high"}
    assert (explained["medium"]["score"], explained["low"]["score"]) == (22.5, 2.5)
    table = runner("list", "--sort", "score", "--explain", "-n", "1")
    assert table.exit_code == 0 and table.stdout.count("\n") == 1
    assert table.stdout.split("\t")[:2] == [ids["high"], "52.5"]


def test_weights_come_from_the_config_and_are_checked(runner: MpoRunner,
                                                      initialised: str) -> None:
    _tasks(runner)
    bad = runner("config", "set", "score_weights", "priority=1,speed=2")
    assert bad.exit_code == 2, bad.stderr
    assert "score_weights" in bad.stderr and "priority, age, due, approval, effort" in bad.stderr
    weights = "priority=0,approval=0,effort=100"
    assert runner("config", "set", "score_weights", weights).exit_code == 0
    scores = [r["score"] for r in runner.json("list", "--sort", "score", "--explain")]
    assert scores == [50.0, 50.0, 50.0]  # only effort counts now: 100 x 0.5 each


@SQLITE_ONLY  # refusals happen before the database matters
def test_explain_needs_the_score_order(runner: MpoRunner, initialised: str) -> None:
    result = runner("list", "--explain")
    assert result.exit_code == 2 and "--sort score" in result.stderr
    result = runner("list", "--sort", "random")
    assert result.exit_code == 2 and "sort" in result.stderr

"""The README's five-minute tour, through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.cli.steps import agent_token
from tests.conftest import MpoRunner


def create(runner: MpoRunner, title: str, *extra: str) -> dict[str, object]:
    """The amazon agent proposes, with its own token (as the README's tour does)."""
    return runner.json(
        "create", "--marketplace", "amazon", "--title", title, "--description", "...",
        "--category", "optimization", "--priority", "high", "--estimated-hours", "4",
        "--tag", "geo", *extra, env={"MPO_TOKEN": agent_token(runner)},
    )


def test_the_tour_runs_as_written(runner: MpoRunner, initialised: str) -> None:
    first = create(runner, "Rewrite GEO titles for top 50 SKUs")
    second = create(runner, "A+ content for the top 10")
    third = create(runner, "Duplicate of the first")
    assert first["created"] is True and first["status"] == "pending"

    submitted = runner.json("submit", "--all")
    assert {r["outcome"] for r in submitted} == {"changed"}
    assert len({r["batch_id"] for r in submitted}) == 1

    listed = runner.json("list", "--status", "awaiting_approval", "--marketplace", "amazon")
    assert {t["id"] for t in listed} == {first["id"], second["id"], third["id"]}

    a, b, c = (str(t["id"]) for t in (first, second, third))
    approved = runner.json("approve", a[:8], b[:6], "--note", "go")
    assert [r["to_status"] for r in approved] == ["approved", "approved"]
    rejected = runner.json("reject", c[:6], "--reason-code", "duplicate",
                           "--reason", f"same as {a[:4]}")
    assert rejected[0]["to_status"] == "rejected"

    assert runner.json("assign", a[:6], "--to", "ana")[0]["to_status"] == "in_progress"
    assert runner.json("complete", a[:6], "--actual-hours", "3.5")[0]["to_status"] == "completed"

    shown = runner.json("show", a[:6])
    assert shown["status"] == "completed"
    assert shown["assigned_to"] == "ana"
    assert shown["started_at"] is not None
    assert shown["accuracy"] == 0.875
    assert [e["action"] for e in shown["history"]] == [
        "create", "submit", "approve", "assign", "complete"]

    log = runner.json("log", "--task", a[:6])
    assert [(e["from_status"], e["to_status"]) for e in log] == [
        (None, "pending"), ("pending", "awaiting_approval"), ("awaiting_approval", "approved"),
        ("approved", "in_progress"), ("in_progress", "completed")]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_tours_orchestrator_steps_run_as_written(runner: MpoRunner, initialised: str
                                                     ) -> None:
    token = agent_token(runner)
    agent = {"MPO_TOKEN": token}
    runner.json("create", "--marketplace", "amazon", "--title", "Rewrite GEO titles",
                "--category", "optimization", "--estimated-hours", "4", env=agent)
    assert [r["to_status"] for r in runner.json("submit", "--mine", env=agent)] == [
        "awaiting_approval"]
    for key, value in (("teams", '{"Ads": ["ana", "bea"]}'),
                       ("routing", '[{"name": "ads", "team": "Ads", "strategy": "round-robin"}]'),
                       ("auto_assign", "true")):
        assert runner("config", "set", key, value).exit_code == 0
    created = runner.json("create", "--title", "A+ content for the top 10", "--category",
                          "optimization", "--estimated-hours", "6", "--due", "+7d", env=agent)
    assert created["due_date"] is not None
    runner.json("submit", "--mine", env=agent)
    rows = runner.json("approve", "--all")
    assert [r["action"] for r in rows] == ["approve", "approve", "assign", "assign"]
    assert {r["detail"].split()[-1] for r in rows if r["action"] == "assign"} == {"ana", "bea"}
    assert runner.json("status")["queue"]["in_progress"] == 2

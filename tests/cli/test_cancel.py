"""Agents submitting and cancelling their own proposals; `mpo cancel`, `mpo undo`,
`mpo expire` through the real app, read back from the database."""

from __future__ import annotations

import pytest

from tests import readback
from tests.cli.steps import SQLITE_ONLY, agent_token, task_in
from tests.conftest import MpoRunner


@pytest.fixture
def agent(runner: MpoRunner, initialised: str) -> dict[str, str]:
    """The amazon agent's environment (its token)."""
    return {"MPO_TOKEN": agent_token(runner)}


def test_an_agent_submits_and_cancels_only_its_own_proposals(
    runner: MpoRunner, initialised: str, agent: dict[str, str]
) -> None:
    mine = runner.json("create", "-t", "mine", "-c", "analysis", "-e", "2", env=agent)["id"]
    other = {"MPO_TOKEN": agent_token(runner, "amazon", "marketplace-amazon-2")}
    theirs = runner.json("create", "-t", "theirs", "-c", "analysis", "-e", "2", env=other)["id"]
    rows = runner.json("submit", "--mine", env=agent)
    assert [r["id"] for r in rows] == [mine]
    refused = runner("submit", theirs, env=agent)
    assert refused.exit_code == 4, refused.stderr
    assert "may submit only its own" in refused.stderr
    done = runner.json("cancel", mine, "--reason-code", "obsolete", env=agent)
    assert done[0]["to_status"] == "cancelled"
    row = readback.tasks(initialised)[mine]
    assert (row["status"], row["cancelled_by"], row["cancellation_code"]) == (
        "cancelled", "marketplace-amazon", "obsolete")
    assert readback.statuses(initialised)[theirs] == "pending"


@SQLITE_ONLY
def test_an_agent_may_not_cancel_approved_work_and_a_cancel_needs_a_code(
    runner: MpoRunner, initialised: str, agent: dict[str, str]
) -> None:
    approved = task_in(runner, "approved")
    result = runner("cancel", approved, "--reason-code", "obsolete", env=agent)
    assert result.exit_code == 4
    assert ("agent marketplace-amazon may cancel only from pending, awaiting_approval"
            in result.stderr)
    missing = runner("cancel", approved)
    assert (missing.exit_code, missing.stderr) == (
        2, "error: reason-code: cancel needs a reason code (--reason-code)\n")
    bad = runner("cancel", approved, "--reason-code", "bored")
    assert bad.exit_code == 2 and "is not one of expired, obsolete" in bad.stderr
    assert readback.statuses(initialised)[approved] == "approved"
    completed = task_in(runner, "completed")
    terminal = runner("cancel", completed, "--reason-code", "obsolete")
    assert terminal.exit_code == 5 and "(terminal)" in terminal.stderr


@SQLITE_ONLY
def test_undo_compensates_a_batch_unless_a_task_moved_since(
    runner: MpoRunner, initialised: str
) -> None:
    first, second = task_in(runner, "awaiting_approval"), task_in(runner, "awaiting_approval")
    approved = runner("approve", first, second)
    batch = approved.stderr.split("(batch ")[1].rstrip(")\n")
    runner.json("assign", second, "--to", "bea")
    refused = runner("undo", batch)
    assert refused.exit_code == 5 and "changed since event" in refused.stderr
    assert readback.statuses(initialised) == {first: "approved", second: "in_progress"}
    assert runner.json("undo", str(readback.events(initialised)[-1]["id"]), "--dry-run")[0][
        "outcome"] == "would_change"
    assign_event = readback.events(initialised)[-1]["id"]
    assert runner("undo", str(assign_event)).exit_code == 0
    assert readback.statuses(initialised)[second] == "approved"
    # The undo touched the task too: the approval stays, as the log says it happened.
    assert runner("undo", batch).exit_code == 5
    third = task_in(runner, "awaiting_approval")
    approved = runner("approve", third)
    rows = runner.json("undo", approved.stderr.split("(batch ")[1].rstrip(")\n"))
    assert [(r["id"], r["from_status"], r["to_status"]) for r in rows] == [
        (third, "approved", "awaiting_approval")]
    task = readback.tasks(initialised)[third]
    assert (task["status"], task["approved_at"], task["approved_by"]) == (
        "awaiting_approval", None, None)
    assert [e["action"] for e in readback.events(initialised)][-2:] == ["approve", "undo"]


@SQLITE_ONLY
def test_only_admins_undo(runner: MpoRunner, initialised: str, agent: dict[str, str]) -> None:
    task_id = task_in(runner, "awaiting_approval")
    batch = readback.events(initialised)[-1]["batch_id"]
    result = runner("undo", batch, env=agent)
    assert result.exit_code == 4 and "may not undo" in result.stderr
    assert readback.statuses(initialised)[task_id] == "awaiting_approval"


@SQLITE_ONLY
def test_expire_cancels_stale_proposals_as_one_batch(runner: MpoRunner, initialised: str
                                                     ) -> None:
    waiting = [task_in(runner, "awaiting_approval") for _ in range(2)]
    fresh = runner("expire")
    assert fresh.exit_code == 0 and "cancelled 0 tasks" in fresh.stderr
    planned = runner.json("expire", "--older-than", "0h", "--dry-run")
    assert sorted(r["id"] for r in planned) == sorted(waiting)
    assert set(readback.statuses(initialised).values()) == {"awaiting_approval"}
    rows = runner.json("expire", "--older-than", "0h")
    assert len({r["batch_id"] for r in rows}) == 1
    assert {t["cancellation_code"] for t in readback.tasks(initialised).values()} == {"expired"}
    assert runner("expire", "--status", "approved").exit_code == 2

"""`mpo wait`: the tasks printed, and an exit code per outcome."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.steps import create
from tests.conftest import MpoRunner


def _task(runner: MpoRunner, *verbs: list[str]) -> str:
    """A task the amazon agent proposes (so root may decide it), moved by root's `verbs`."""
    created = create(runner, "t")
    for verb in verbs:
        assert runner(*verb, created["id"]).exit_code == 0
    return str(created["id"])


def test_wait_exits_by_outcome_and_prints_the_tasks(runner: MpoRunner, db: Path) -> None:
    approved = _task(runner, ["submit"], ["approve"])
    rejected = _task(runner, ["submit"], ["reject", "--reason-code", "duplicate"])
    pending = _task(runner)

    reached = runner("wait", approved[:8], "--for", "decided", "--json")
    assert reached.exit_code == 0, reached.stderr
    assert [t["status"] for t in json.loads(reached.stdout)] == ["approved"]

    decided = runner("wait", approved, rejected, "--json")  # a rejection is a decision
    assert decided.exit_code == 0, decided.stderr
    assert [t["status"] for t in json.loads(decided.stdout)] == ["approved", "rejected"]

    declined = runner("wait", approved, rejected, "--for", "approved", "--json")
    assert declined.exit_code == 9, declined.stderr
    assert [t["status"] for t in json.loads(declined.stdout)] == ["approved", "rejected"]
    assert f"error: wait: {rejected[:8]} is rejected; it will never be approved" in (
        declined.stderr)

    timed_out = runner("wait", pending, "--for", "approved", "--timeout", "0.2s")
    assert timed_out.exit_code == 8, timed_out.stderr
    assert timed_out.stdout.split("\t")[:3] == [pending, "amazon", "pending"]
    assert (f"wait: {pending[:8]} is pending: nobody is asked to decide until submitted "
            f"(mpo submit {pending[:8]})") in timed_out.stderr
    assert "nobody is asked" not in reached.stderr

    from_stdin = runner("wait", "-", "--for", "completed", "--timeout", "0", input=approved)
    assert from_stdin.exit_code == 8


def test_a_cancelled_task_declines_the_wait_like_a_rejected_one(
    runner: MpoRunner, db: Path
) -> None:
    cancelled = _task(runner, ["submit"], ["cancel", "--reason-code", "obsolete"])
    declined = runner("wait", cancelled, "--for", "decided", "--json")
    assert declined.exit_code == 9, declined.stderr
    assert [t["status"] for t in json.loads(declined.stdout)] == ["cancelled"]
    assert f"error: wait: {cancelled[:8]} is cancelled; it will never be decided" in (
        declined.stderr)


def test_wait_refuses_an_unknown_goal_or_timeout(runner: MpoRunner, db: Path) -> None:
    task = _task(runner)
    bad_goal = runner("wait", task, "--for", "done")
    assert bad_goal.exit_code == 2
    assert "for: 'done' is not one of decided, approved, completed, any-change" in (
        bad_goal.stderr)
    bad_timeout = runner("wait", task, "--timeout", "soon")
    assert (bad_timeout.exit_code, bad_timeout.stdout) == (2, "")
    unknown = runner("wait", "abcd1234")
    assert unknown.exit_code == 3

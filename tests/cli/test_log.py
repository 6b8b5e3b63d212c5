"""`mpo log`: the audit trail, filtered, oldest first."""

from __future__ import annotations

import getpass

from mpo.report import fields
from tests import readback
from tests.cli.steps import SQLITE_ONLY, task_in
from tests.conftest import MpoRunner


def test_the_log_of_a_task_is_its_whole_history_oldest_first(
    runner: MpoRunner, initialised: str
) -> None:
    task_id = task_in(runner, "completed")
    task_in(runner, "approved")  # noise
    log = runner.json("log", "--task", task_id[:6])
    assert all(tuple(e) == fields.EVENT.all for e in log)
    assert [(e["action"], e["from_status"], e["to_status"]) for e in log] == [
        ("create", None, "pending"), ("submit", "pending", "awaiting_approval"),
        ("approve", "awaiting_approval", "approved"), ("assign", "approved", "in_progress"),
        ("complete", "in_progress", "completed")]
    assert {e["task_id"] for e in log} == {task_id}
    assert [e["actor"] for e in log] == ["marketplace-amazon"] + [getpass.getuser()] * 4
    assert [e["id"] for e in log] == [
        e["id"] for e in readback.events(initialised) if e["task_id"] == task_id]


def test_the_log_filters_by_action_actor_batch_marketplace_and_time(
    runner: MpoRunner, initialised: str
) -> None:
    amazon = task_in(runner, "awaiting_approval")
    shopee = task_in(runner, "pending", marketplace="shopee")
    me = getpass.getuser()

    def log(*args: str) -> list[tuple[str, str]]:
        return [(e["task_id"], e["action"]) for e in runner.json("log", *args)]

    assert log("--action", "submit") == [(amazon, "submit")]
    assert log("--action", "create,submit", "--marketplace", "shopee") == [(shopee, "create")]
    assert log("--actor", me, "--limit", "1") == [(amazon, "submit")]
    assert log("--actor", "marketplace-shopee") == [(shopee, "create")]
    assert log("--actor", "nobody") == []
    submit_batch = readback.events(initialised)[1]["batch_id"]
    assert log("--batch", submit_batch) == [(amazon, "submit")]
    assert len(log("--since", "-1h")) == 3  # not "today": the run may cross midnight
    assert log("--since", "2999-01-01") == []


@SQLITE_ONLY
def test_an_empty_log_is_success(runner: MpoRunner, initialised: str) -> None:
    result = runner("log")
    assert (result.exit_code, result.stdout) == (0, "")


@SQLITE_ONLY
def test_bad_log_filters_are_usage_errors(runner: MpoRunner, initialised: str) -> None:
    result = runner("log", "--action", "delete")
    assert result.exit_code == 2
    assert "action: 'delete' is not one of create, submit, approve, reject, assign, start, " \
        "complete" in result.stderr
    result = runner("log", "--batch", "1234")
    assert (result.exit_code, "is not a batch id (a full UUID)" in result.stderr) == (2, True)
    assert runner("log", "--task", "0000").exit_code == 3


@SQLITE_ONLY
def test_the_log_refuses_filters_that_can_never_match(runner: MpoRunner, initialised: str) -> None:
    task_in(runner, "pending")
    for args, field in ((["-m", "ebay"], "marketplace"), (["--task", ""], "task id"),
                        (["--actor", "x", "--action", ""], "action")):
        result = runner("log", *args)
        assert result.exit_code == 2, result.stderr
        assert field in result.stderr and result.stdout == ""


def test_since_takes_minutes_like_every_duration(runner: MpoRunner, initialised: str) -> None:
    """Issue 24: `--since -10m` is refused no more (the units of `wait --timeout`)."""
    task_in(runner, "approved")
    recent = runner.json("log", "--since", "-10m")
    assert [e["action"] for e in recent] == ["create", "submit", "approve"]

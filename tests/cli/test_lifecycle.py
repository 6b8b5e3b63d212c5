"""The batch verbs: all or nothing, --skip-invalid, --dry-run, ids from stdin, filters, one
batch id per batch, and confirmation only on a terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from mpo.core.tables.models import Task
from mpo.store.database import SqlDatabase
from tests import readback
from tests.cli.steps import SQLITE_ONLY, task_in
from tests.conftest import MpoRunner


def test_one_invalid_id_changes_nothing_and_every_offender_is_listed(
    runner: MpoRunner, initialised: str
) -> None:
    good = [task_in(runner, "awaiting_approval") for _ in range(2)]
    pending = task_in(runner, "pending")
    before = readback.tasks(initialised), readback.events(initialised)
    result = runner("approve", *good, pending[:8], "0000")
    assert result.exit_code == 5  # mixed reasons: conflict
    assert result.stderr.count("\n") == 1
    assert "approve: 2 invalid items, nothing changed (use --skip-invalid" in result.stderr
    assert f"{pending[:8]}: task {pending[:8]} is pending; approve needs awaiting_approval" \
        in result.stderr
    assert "0000: no task with id 0000" in result.stderr
    assert (readback.tasks(initialised), readback.events(initialised)) == before


def test_a_batch_that_fails_for_one_reason_exits_with_its_code(
    runner: MpoRunner, initialised: str
) -> None:
    good = task_in(runner, "awaiting_approval")
    result = runner("approve", good, "0000", "1111")
    assert result.exit_code == 3
    assert "2 invalid items" in result.stderr
    assert readback.statuses(initialised) == {good: "awaiting_approval"}


def test_skip_invalid_applies_the_rest_and_reports_the_skipped(
    runner: MpoRunner, initialised: str
) -> None:
    good = task_in(runner, "awaiting_approval")
    pending = task_in(runner, "pending")
    result = runner("approve", good, pending, "--skip-invalid", "--note", "go", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["id"], r["outcome"]) for r in rows] == [(good, "changed"), (pending, "skipped")]
    assert "is pending; approve needs awaiting_approval" in rows[1]["detail"]
    assert result.stderr.startswith("approved 1 task (batch ")
    assert result.stderr.endswith(", skipped 1\n")
    assert readback.statuses(initialised) == {good: "approved", pending: "pending"}
    approvals = [e for e in readback.events(initialised) if e["action"] == "approve"]
    assert [(e["task_id"], e["reason"]) for e in approvals] == [(good, "go")]


def test_skip_invalid_with_nothing_applied_exits_12(
    runner: MpoRunner, initialised: str
) -> None:
    """Issue 24: a script tells "did nothing" from "done, some skipped" by the code."""
    pending = task_in(runner, "pending")
    result = runner("approve", pending, "--skip-invalid", "--json")
    assert result.exit_code == 12, result.stderr
    assert [r["outcome"] for r in json.loads(result.stdout)] == ["skipped"]
    assert result.stderr.endswith("error: nothing applied: all 1 item was skipped\n")
    lines = "\n".join(json.dumps({"marketplace": "ebay", "title": "x", "category":
                                  "optimization", "estimated_hours": 1}) for _ in range(2))
    made = runner("create", "--from", "-", "--skip-invalid", input=lines + "\n")
    assert made.exit_code == 12, made.stderr
    assert "nothing applied: all 2 items were skipped" in made.stderr
    assert readback.statuses(initialised) == {pending: "pending"}


def test_a_dry_run_shows_what_would_change_and_changes_nothing(
    runner: MpoRunner, initialised: str
) -> None:
    ids = [task_in(runner, "pending") for _ in range(2)]
    before = readback.tasks(initialised), readback.events(initialised)
    rows = runner.json("submit", "--all", "--dry-run")
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert {(r["outcome"], r["from_status"], r["to_status"], r["batch_id"]) for r in rows} == {
        ("would_change", "pending", "awaiting_approval", None)}
    assert (readback.tasks(initialised), readback.events(initialised)) == before


@SQLITE_ONLY
def test_a_dry_run_of_an_invalid_batch_fails_like_the_real_one(
    runner: MpoRunner, initialised: str
) -> None:
    result = runner("approve", task_in(runner, "pending"), "--dry-run")
    assert result.exit_code == 5


def test_a_dash_reads_ids_from_stdin(runner: MpoRunner, initialised: str) -> None:
    ids = [task_in(runner, "pending") for _ in range(3)]
    result = runner("submit", "-", "--json", input=f"{ids[0]}\n{ids[1][:8]} {ids[2][:6]}\n")
    assert result.exit_code == 0, result.stderr
    assert set(readback.statuses(initialised).values()) == {"awaiting_approval"}


@SQLITE_ONLY
def test_piping_list_into_a_verb_works(runner: MpoRunner, initialised: str) -> None:
    for _ in range(2):
        task_in(runner, "pending")
    listed = runner("list", "--status", "pending", "--fields", "id")
    assert runner("submit", "-", input=listed.stdout).exit_code == 0
    assert set(readback.statuses(initialised).values()) == {"awaiting_approval"}


def test_every_event_of_a_batch_carries_its_one_batch_id(
    runner: MpoRunner, initialised: str
) -> None:
    ids = [task_in(runner, "pending") for _ in range(3)]
    first = runner.json("submit", ids[0], ids[1])
    second = runner.json("submit", ids[2])
    submits = [e for e in readback.events(initialised) if e["action"] == "submit"]
    by_task = {e["task_id"]: e["batch_id"] for e in submits}
    assert by_task[ids[0]] == by_task[ids[1]] == first[0]["batch_id"] == first[1]["batch_id"]
    assert by_task[ids[2]] == second[0]["batch_id"] != first[0]["batch_id"]


def test_filters_select_among_tasks_in_the_verbs_source_status(
    runner: MpoRunner, initialised: str
) -> None:
    amazon_high = task_in(runner, "pending", "a", "--priority", "high")
    amazon_low = task_in(runner, "pending", "b", "--priority", "low")
    shopee = task_in(runner, "pending", "c", marketplace="shopee")
    done = task_in(runner, "awaiting_approval", "d")

    def submitted(*args: str) -> set[str]:
        result = runner("submit", *args, "--json")
        assert result.exit_code == 0, result.stderr
        return {r["id"] for r in json.loads(result.stdout)}

    assert submitted("--marketplace", "shopee") == {shopee}
    assert submitted("--priority", "high") == {amazon_high}
    assert submitted("--category", "scaling") == set()
    assert submitted("--created-by", "marketplace-amazon") == {amazon_low}
    assert submitted("--all") == set()
    assert readback.statuses(initialised)[done] == "awaiting_approval"


@SQLITE_ONLY
@pytest.mark.parametrize(("args", "message"), [
    (["--all", "0000"], "not both"),
    ([], "no tasks selected"),
    (["--marketplace", "ebay"], "marketplace: 'ebay' is not one of"),
    (["--priority", "urgent"], "priority: 'urgent' is not one of high, medium, low"),
])
def test_selections_that_cannot_mean_anything_are_usage_errors(
    runner: MpoRunner, initialised: str, args: list[str], message: str
) -> None:
    result = runner("submit", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_ambiguous_prefix_is_refused_naming_the_candidates(
    runner: MpoRunner, initialised: str
) -> None:
    db = SqlDatabase(initialised)
    with db.write() as uow:
        for n in (1, 2):
            uow.tasks.add(Task(id=uuid.UUID(f"abcd{n}000-0000-4000-8000-000000000000"),
                               marketplace="amazon", created_by="x", title="t",
                               category="analysis", priority="low", estimated_hours=1))
        uow.commit()
    result = runner("submit", "abcd")
    assert result.exit_code == 2
    assert ("id prefix abcd matches several tasks (abcd1000-0000-4000-8000-000000000000, "
            "abcd2000-0000-4000-8000-000000000000)") in result.stderr
    assert runner("submit", "abcd1").exit_code == 0


@SQLITE_ONLY
def test_reject_needs_a_known_reason_code_and_records_it(
    runner: MpoRunner, initialised: str
) -> None:
    task_id = task_in(runner, "awaiting_approval")
    result = runner("reject", task_id, "--reason", "meh")
    assert (result.exit_code, result.stderr) == (
        2, "error: reason-code: reject needs a reason code (--reason-code)\n")
    result = runner("reject", task_id, "--reason-code", "boring")
    assert result.exit_code == 2
    assert "reason-code: 'boring' is not one of duplicate, out-of-scope" in result.stderr
    assert readback.statuses(initialised) == {task_id: "awaiting_approval"}

    assert runner("reject", task_id, "--reason-code", "duplicate", "--reason",
                  "same as 3f2a").exit_code == 0
    row = readback.tasks(initialised)[task_id]
    assert (row["status"], row["rejection_code"], row["rejection_reason"]) == (
        "rejected", "duplicate", "same as 3f2a")
    event = readback.events(initialised)[-1]
    assert (event["reason"], event["payload"]) == ("same as 3f2a", {"reason_code": "duplicate"})


@SQLITE_ONLY
def test_assign_start_and_complete_need_and_record_their_values(
    runner: MpoRunner, initialised: str
) -> None:
    assigned, started = task_in(runner, "approved"), task_in(runner, "approved")
    assert runner("assign", assigned).exit_code == 2
    assert runner("assign", assigned, "--to", "bea").exit_code == 0
    assert runner("start", started).exit_code == 0
    assert runner("complete", assigned).exit_code == 2
    assert runner("complete", assigned, "--actual-hours", "0").exit_code == 2
    assert runner("complete", assigned, "--actual-hours", "5").exit_code == 0
    rows = readback.tasks(initialised)
    assert (rows[assigned]["assigned_to"], rows[assigned]["actual_hours"]) == ("bea", 5.0)
    assert rows[assigned]["started_at"] is not None and rows[assigned]["completed_at"]
    assert rows[started]["status"] == "in_progress"
    assert rows[started]["assigned_to"] == readback.events(initialised)[-2]["actor"]


@SQLITE_ONLY
def test_without_a_terminal_a_large_batch_needs_yes_and_never_prompts(
    runner: MpoRunner, initialised: str
) -> None:
    ids = [task_in(runner, "pending") for _ in range(3)]
    over = {"MPO_CONFIRM_OVER": "1", "MPO_FORCE_TTY": "1"}
    for args in (["--all"], ["-"]):
        result = runner("submit", *args, input="\n".join(ids), env=over)
        assert result.exit_code == 2, result.stderr
        assert "more than confirm_over (1)" in result.stderr and "--yes" in result.stderr
        assert "?" not in result.stderr
    assert set(readback.statuses(initialised).values()) == {"pending"}
    assert runner("submit", ids[0], env=over).exit_code == 0  # one id: nothing to confirm
    result = runner("submit", "--all", "--yes", env=over)
    assert result.exit_code == 0, result.stderr
    assert set(readback.statuses(initialised).values()) == {"awaiting_approval"}


# --- on a real terminal (a pseudo-terminal driving the installed `mpo`) --------------------


def on_terminal(args: list[str], answer: str | None) -> tuple[int, str]:
    """Run `mpo` with stdin, stdout and stderr on a pty; answer a prompt if one appears."""
    mpo = shutil.which("mpo", path=str(Path(sys.executable).parent))
    assert mpo is not None
    leader, follower = pty.openpty()
    process = subprocess.Popen([mpo, *args], stdin=follower, stdout=follower, stderr=follower,
                               env=os.environ | {"COLUMNS": "120"}, close_fds=True)
    os.close(follower)
    seen = b""
    try:
        while select.select([leader], [], [], 60)[0]:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the other end closed: the process is done
                break
            if not chunk:
                break
            seen += chunk
            if answer is not None and b"[y/N]" in seen:
                os.write(leader, answer.encode() + b"\n")
                answer = None
    finally:
        os.close(leader)
    return process.wait(timeout=60), seen.decode(errors="replace")


@pytest.fixture
def three_pending(runner: MpoRunner, initialised: str, monkeypatch: pytest.MonkeyPatch
                  ) -> list[str]:
    monkeypatch.setenv("MPO_CONFIRM_OVER", "2")
    return [task_in(runner, "pending") for _ in range(3)]


@SQLITE_ONLY
@pytest.mark.e2e
@pytest.mark.parametrize(("answer", "code", "status"), [
    ("n", 7, "pending"), ("y", 0, "awaiting_approval")])
def test_on_a_terminal_a_batch_over_the_limit_asks_first(
    three_pending: list[str], initialised: str, answer: str, code: int, status: str
) -> None:
    exit_code, seen = on_terminal(["submit", "--all"], answer=answer)
    assert "submit 3 tasks? [y/N]" in seen
    assert exit_code == code, seen
    assert ("error: cancelled; nothing changed" in seen) is (answer == "n")
    assert set(readback.statuses(initialised).values()) == {status}


@SQLITE_ONLY
@pytest.mark.e2e
@pytest.mark.parametrize("args", [["submit", "--all", "--yes"], ["submit", "--all", "--dry-run"]])
def test_on_a_terminal_yes_or_dry_run_never_asks(
    three_pending: list[str], initialised: str, args: list[str]
) -> None:
    code, seen = on_terminal(args, answer=None)
    assert code == 0, seen
    assert "[y/N]" not in seen


@SQLITE_ONLY
@pytest.mark.e2e
def test_on_a_terminal_a_batch_within_the_limit_does_not_ask(
    three_pending: list[str], initialised: str
) -> None:
    code, seen = on_terminal(["submit", *three_pending[:2]], answer=None)
    assert code == 0, seen
    assert "[y/N]" not in seen


def test_assign_needs_an_active_member_or_admin_and_suggests_close_names(
    runner: MpoRunner, initialised: str
) -> None:
    task_id = task_in(runner, "approved")
    viewer = runner.json("principal", "add", "vera", "--role", "viewer")["name"]
    for name, says in (("anaa", "'anaa' is not an active admin or member; did you mean ana?"),
                       (viewer, "'vera' is not an active admin or member"),
                       ("zed", "add one with `mpo principal add NAME --role member`")):
        result = runner("assign", task_id, "--to", name)
        assert result.exit_code == 2, result.stderr
        assert says in result.stderr
    assert readback.statuses(initialised)[task_id] == "approved"
    assert runner("assign", task_id, "--to", "ana").exit_code == 0

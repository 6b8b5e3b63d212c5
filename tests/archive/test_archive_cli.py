"""`mpo archive` through the real app on SQLite and PostgreSQL: what moves and what stays,
the run's record, show/log/export finding archived tasks unchanged, the audit log still
append-only, refusals and bad input (issue 25)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc

from mpo.core.domain.lifecycle import TERMINAL
from tests import readback
from tests.archive.world import ADMIN, Histories, histories
from tests.conftest import MpoRunner


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Histories]:
    yield from histories(tmp_path_factory.mktemp("archive-history"))


@pytest.fixture
def world(database_url: str, made: Histories) -> dict[str, str]:
    """The history in the test's own database (a copy of the module's: each test changes
    it)."""
    return {"MPO_DATABASE_URL": database_url, "MPO_TOKEN": made.copy(database_url)}


def _json(runner: MpoRunner, env: dict[str, str], *args: str) -> Any:
    result = runner(*args, "--json", env=env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _shown(runner: MpoRunner, env: dict[str, str], ref: str) -> Any:
    """`show --json` without its prediction, which learns from the live (recent) history
    only (docs/archive.md)."""
    doc = _json(runner, env, "show", ref)
    doc.pop("prediction", None)
    return doc


def _count(url: str, table: str) -> int:
    return int(readback.fetch(url, f"SELECT count(*) AS n FROM {table}")[0]["n"])


def test_a_dry_run_lists_what_would_move_and_moves_nothing(runner: MpoRunner,
                                                           world: dict[str, str]) -> None:
    url = world["MPO_DATABASE_URL"]
    live = _count(url, "task")
    due = _json(runner, world, "archive", "--before", "4d", "--dry-run")
    assert due and {row["status"] for row in due} <= TERMINAL
    assert list(due[0]) == ["id", "status", "ended_at", "marketplace", "title"]
    assert [r["ended_at"] for r in due] == sorted(r["ended_at"] for r in due)
    assert _count(url, "task") == live and _count(url, "task_archive") == 0
    moved = _json(runner, world, "archive", "--before", "4d")
    assert moved["tasks"] == len(due) and moved["dry_run"] is False
    archived = {readback.uid(r["id"]) for r in readback.fetch(url, "SELECT id FROM task_archive")}
    assert archived == {r["id"] for r in due}


def test_piped_it_is_quiet_and_records_each_chunk(runner: MpoRunner,
                                                  world: dict[str, str]) -> None:
    url = world["MPO_DATABASE_URL"]
    events = _count(url, "task_event")
    result = runner("archive", "--before", "4d", "--chunk", "5", env=world)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    chunks = readback.fetch(url, "SELECT * FROM archive_batch ORDER BY id")
    moved = _count(url, "task_archive")
    assert len(chunks) == -(-moved // 5) and {c["actor"] for c in chunks} == {ADMIN}
    assert len({str(c["run_id"]) for c in chunks}) == 1
    assert sum(c["tasks"] for c in chunks) == moved
    assert sum(c["events"] for c in chunks) == _count(url, "task_event_archive")
    assert _count(url, "task_event") + _count(url, "task_event_archive") == events
    # nothing left due: a second run moves nothing and records nothing
    assert _json(runner, world, "archive", "--before", "4d")["tasks"] == 0
    assert len(readback.fetch(url, "SELECT id FROM archive_batch")) == len(chunks)


def test_show_log_and_export_find_archived_tasks_unchanged(runner: MpoRunner,
                                                           world: dict[str, str]) -> None:
    url = world["MPO_DATABASE_URL"]
    due = _json(runner, world, "archive", "--before", "4d", "--dry-run")
    task_id = due[0]["id"]
    shown = _shown(runner, world, task_id)
    by_prefix = _shown(runner, world, task_id[:8])
    trail = _json(runner, world, "log", "--task", task_id)
    exported = [json.loads(line) for line in runner("export", env=world).stdout.splitlines()]
    everything = _json(runner, world, "log")
    assert runner("archive", "--before", "4d", env=world).exit_code == 0

    assert _count(url, "task") + len(due) == len(exported)
    assert _shown(runner, world, task_id) == shown
    assert _shown(runner, world, task_id[:8]) == by_prefix
    assert _json(runner, world, "log", "--task", task_id[:8]) == trail
    assert _json(runner, world, "log", "--archived") == everything
    assert len(_json(runner, world, "log")) < len(everything)
    assert _json(runner, world, "log", "--archived", "-n", "3") == everything[-3:]
    live = [json.loads(line) for line in runner("export", env=world).stdout.splitlines()]
    assert task_id not in {r["id"] for r in live}
    both = runner("export", "--archived", env=world)
    assert [json.loads(line) for line in both.stdout.splitlines()] == exported
    amazon = runner("export", "--archived", "-m", "amazon", "-s", "completed", env=world)
    assert [json.loads(line) for line in amazon.stdout.splitlines()] == [
        r for r in exported if r["marketplace"] == "amazon" and r["status"] == "completed"]
    # lifecycle verbs do not reach into the archive
    cancelled = runner("cancel", task_id, "--reason-code", "duplicate", env=world)
    assert cancelled.exit_code == 3, cancelled.stderr


#: Edits nobody may make: an event not archived, and anything in the archive.
TAMPERING = (
    "DELETE FROM task_event",
    "UPDATE task_event SET actor = 'mallory'",
    "UPDATE task_event_archive SET actor = 'mallory'",
    "DELETE FROM task_event_archive",
    "UPDATE task_archive SET title = 'x'",
    "DELETE FROM task_archive",
    "DELETE FROM archive_batch",
)


def test_the_audit_log_and_the_archive_stay_append_only(runner: MpoRunner,
                                                        world: dict[str, str]) -> None:
    """Even as the owner (or a superuser), outside the move."""
    url = world["MPO_DATABASE_URL"]
    assert runner("archive", "--before", "4d", env=world).exit_code == 0
    tables = ("task_event", "task_event_archive", "task_archive", "archive_batch")
    counts = [_count(url, t) for t in tables]
    for statement in TAMPERING:
        with pytest.raises(sa_exc.DBAPIError, match="append-only"):
            readback.execute(url, statement)
    assert [_count(url, t) for t in tables] == counts


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--before", "soon"), 2, "before: 'soon' is not a duration"),
    (("--before", "4d", "--chunk", "0"), 2, "chunk: 0 is not a number of tasks from 1 to"),
    (("--before", "4d", "--chunk", "10001"), 2, "chunk: 10001"),
])
def test_bad_input_names_the_field_and_changes_nothing(
        runner: MpoRunner, world: dict[str, str], args: tuple[str, ...], code: int,
        message: str) -> None:
    result = runner("archive", *args, env=world)
    assert result.exit_code == code and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert _count(world["MPO_DATABASE_URL"], "task_archive") == 0


def test_only_admins_archive(runner: MpoRunner, world: dict[str, str]) -> None:
    url = world["MPO_DATABASE_URL"]
    result = runner("principal", "add", "vic", "--role", "viewer", "--fields", "token",
                    env=world)
    viewer = result.stdout.strip().split("\t")[-1]
    refused = runner("archive", "--before", "4d", env=world | {"MPO_TOKEN": viewer})
    assert refused.exit_code == 4, refused.stderr
    assert _count(url, "task_archive") == 0


def test_a_task_with_subtasks_stays_live(runner: MpoRunner, world: dict[str, str]) -> None:
    """Its steps stay with it (docs/archive.md): the cutoff passes it by."""
    url = world["MPO_DATABASE_URL"]
    made = _json(runner, world, "create", "-m", "amazon", "-t", "planned", "-c",
                 "optimization", "-e", "1", "--created-by", "marketplace-amazon")
    added = runner("subtask", "add", made["id"], "--type", "analysis", "--title", "look",
                   env=world)
    assert added.exit_code == 0, added.stderr
    cancelled = runner("cancel", made["id"], "--reason-code", "duplicate", env=world)
    assert cancelled.exit_code == 0, cancelled.stderr
    due = _json(runner, world, "archive", "--before", "0s", "--dry-run")
    assert made["id"] not in {r["id"] for r in due}
    assert runner("archive", "--before", "0s", env=world).exit_code == 0
    assert readback.statuses(url)[made["id"]] == "cancelled"
    assert _count(url, "task") == 1 + len(readback.fetch(
        url, "SELECT id FROM task WHERE status NOT IN ('completed', 'rejected', 'cancelled')"))

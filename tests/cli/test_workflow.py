"""A custom workflow end to end (issue 20): declare a review state, apply it, move a task
through it, refused moves, the counts of list, status and stats, undo, and, on
PostgreSQL as an `mpo_app` login, the guards refusing a raw-SQL skip of the new state."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests import migrated
from tests.bi_world import upgrade_to
from tests.cli.steps import agent_token
from tests.conftest import MpoRunner
from tests.pg_app import conninfo
from tests.readback import execute, fetch

REVIEW = """
[[states]]
name = "in_review"
after = "in_progress"
enter = ["member", "admin"]
leave = ["admin"]
distinct = true
"""


@pytest.fixture(params=["sqlite", "postgres_app"])
def world(request: pytest.FixtureRequest, runner: MpoRunner, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """An initialised database (PostgreSQL: reached through an mpo_app login), an agent,
    a member `ana`, and a task assigned to her."""
    role = None
    if request.param == "sqlite":
        url = str(tmp_path / "mpo.db")
    else:
        url = str(request.getfixturevalue("pg_url"))
    monkeypatch.setenv("MPO_DATABASE_URL", url)
    migrated.prepare(url)  # `mpo init` then finds the schema at head: fast
    assert runner("init").exit_code == 0
    if request.param == "postgres_app":
        role = f"mpo_test_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(conninfo(url), autocommit=True) as conn:
            conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE mpo_app')
        monkeypatch.setenv("MPO_DATABASE_URL", url.replace("postgres@", f"{role}@", 1))
    agent = {"MPO_TOKEN": agent_token(runner)}
    ana = {"MPO_TOKEN": runner.json("principal", "add", "ana", "--role", "member")["token"]}
    task = runner.json("create", "-m", "amazon", "-t", "Rewrite GEO titles", "-c",
                       "optimization", "-e", "3", env=agent)["id"]
    for args in (("submit", task), ("approve", task), ("assign", task, "--to", "ana")):
        done = runner(*args, env=agent if args[0] == "submit" else None)
        assert done.exit_code == 0, done.stderr
    (tmp_path / "review.toml").write_text(REVIEW)
    yield {"url": url, "app_url": None if role is None else url.replace(
        "postgres@", f"{role}@", 1), "task": task, "agent": agent, "ana": ana,
        "file": str(tmp_path / "review.toml")}
    if role is not None:
        with psycopg.connect(conninfo(url), autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_a_review_state_end_to_end(runner: MpoRunner, world: dict[str, Any]) -> None:
    task, ana, agent = world["task"], world["ana"], world["agent"]
    refused = runner("workflow", "apply", world["file"], env=ana)
    assert refused.exit_code == 4, refused.stderr  # admins only
    assert runner("workflow", "apply", world["file"]).exit_code == 0
    shown = {r["status"]: r for r in runner.json("workflow", "show", env=ana)}
    assert list(shown)[4:6] == ["in_progress", "in_review"]
    assert shown["in_progress"]["leaves_by"] == "cancel, move --to in_review"
    # the assignee may not skip the review, nor may an agent move the task
    skipped = runner("complete", task, "--actual-hours", "2", env=ana)
    assert skipped.exit_code == 5 and "complete needs in_review" in skipped.stderr
    assert runner("move", task, "--to", "in_review", env=agent).exit_code == 4
    moved = runner.json("move", task, "--to", "in_review", "--note", "ready", env=ana)
    assert [(r["from_status"], r["to_status"]) for r in moved] == [("in_progress", "in_review")]
    # counted where tasks are counted
    assert [t["id"] for t in runner.json("list", "--status", "in_review")] == [task]
    assert runner.json("status")["queue"]["custom"] == {"in_review": 1}
    assert runner.json("stats")["pipeline"]["now"]["in_review"] == 1
    watched = runner("watch", "--status", "in_review", "--since-event", "0", "-n", "1",
                     "--jsonl")  # a custom state filters the event stream too
    assert watched.exit_code == 0, watched.stderr
    assert json.loads(watched.stdout)["action"] == "move"
    # out of review: an admin other than the assignee (distinct), not the member
    denied = runner("complete", task, "--actual-hours", "2", env=ana)
    assert denied.exit_code == 4 and "needs role admin" in denied.stderr
    dropped = runner("workflow", "apply", "-", input="states = []\n")
    assert dropped.exit_code == 5 and "in_review" in dropped.stderr
    done = runner.json("complete", task, "--actual-hours", "2.5")
    assert [(r["from_status"], r["to_status"]) for r in done] == [("in_review", "completed")]
    history = runner.json("show", task)["history"]
    assert [(e["action"], e["to_status"]) for e in history][-2:] == [
        ("move", "in_review"), ("complete", "completed")]
    back = runner("undo", done[0]["batch_id"])
    assert back.exit_code == 0, back.stderr
    assert runner.json("show", task)["status"] == "in_review"
    sent_back = runner.json("move", task, "--to", "in_progress", "--note", "fix the title")
    assert sent_back[0]["to_status"] == "in_progress"


def test_bad_workflows_name_the_field(runner: MpoRunner, world: dict[str, Any]) -> None:
    for text, field in (('[[states]]\nname = "x"\nafter = "completed"\nenter = ["admin"]\n'
                         'leave = ["admin"]\n', "states[0].after"),
                        ('[[states]]\nname = "pending"\nafter = "approved"\n'
                         'enter = ["admin"]\nleave = ["admin"]\n', "states[0].name"),
                        ('[[states]]\nname = "qa"\nafter = "approved"\nenter = ["boss"]\n'
                         'leave = ["admin"]\n', "states[0].enter"),
                        ("states = [", "file")):
        result = runner("workflow", "apply", "-", input=text)
        assert result.exit_code == 2, result.stderr
        assert result.stderr.startswith(f"error: {field}: ")
    assert runner.json("workflow", "show")[4]["status"] == "in_progress"  # nothing applied
    aimless = runner("move", world["task"])
    assert aimless.exit_code == 2 and aimless.stderr.startswith("error: to: move needs")
    nowhere = runner("move", world["task"], "--to", "in_review")  # none applied yet
    assert nowhere.exit_code == 2 and "no move leads to 'in_review'" in nowhere.stderr


def test_the_guards_refuse_a_raw_sql_skip_of_the_new_state(
        runner: MpoRunner, world: dict[str, Any]) -> None:
    if world["app_url"] is None:
        pytest.skip("SQLite has no roles: the guards are PostgreSQL's")
    task = world["task"]
    assert runner("workflow", "apply", world["file"]).exit_code == 0
    bo = runner.json("principal", "add", "bo", "--role", "admin")["token"]
    with psycopg.connect(conninfo(world["app_url"])) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (bo,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # skipping the review
            conn.execute("UPDATE task SET status = 'completed', completed_at = now(), "
                         "completed_by = 'bo', actual_hours = 1 WHERE id = %s", (task,))
    with psycopg.connect(conninfo(world["app_url"])) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["ana"]["MPO_TOKEN"],))
        conn.execute("UPDATE task SET status = 'in_review' WHERE id = %s", (task,))
        conn.execute("INSERT INTO task_event (task_id, actor, action, from_status, "
                     "to_status, at, payload) VALUES (%s, 'ana', 'move', 'in_progress', "
                     "'in_review', now(), '{}')", (task,))
        conn.commit()  # the member's own move through raw SQL, with its event: allowed
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["ana"]["MPO_TOKEN"],))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE task SET status = 'completed', completed_at = now(), "
                         "completed_by = 'ana', actual_hours = 1 WHERE id = %s", (task,))
    assert runner.json("show", task)["status"] == "in_review"


def test_after_an_apply_an_admin_still_submits_an_agents_proposal(
        runner: MpoRunner, world: dict[str, Any]) -> None:
    """Noticed last session: on PostgreSQL as an app login, the guards installed by
    `workflow apply` refused an admin's submit of an agent's pending task."""
    assert runner("workflow", "apply", world["file"]).exit_code == 0
    task = runner.json("create", "-m", "amazon", "-t", "Flash sale banners", "-c",
                       "scaling", "-e", "2", env=world["agent"])["id"]
    submitted = runner("submit", task)
    assert submitted.exit_code == 0, submitted.stderr
    assert runner.json("show", task)["status"] == "awaiting_approval"


def test_the_upgrade_mends_edges_written_with_json_null(
        runner: MpoRunner, database_url: str) -> None:
    """Databases that applied a workflow before 0021 hold JSON null roles; the upgrade makes
    them SQL NULL, which is what the guards read as "the built-in roles"."""
    upgrade_to(database_url, "0020")
    execute(database_url, "INSERT INTO workflow_edge (action, source, target, roles, "
            "not_by_assignee) VALUES ('submit', 'pending', 'awaiting_approval', 'null', "
            ":no), ('complete', 'in_review', 'completed', '[\"admin\"]', :no)", no=False)
    upgraded = runner("db", "upgrade", env={"MPO_DATABASE_URL": database_url})
    assert upgraded.exit_code == 0, upgraded.stderr
    assert fetch(database_url, "SELECT action FROM workflow_edge WHERE roles IS NULL") == [
        {"action": "submit"}]

"""Shell hooks from the config file: after the commit, the event on stdin, filters, and a
failing or slow hook reported without failing or undoing the verb."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mpo.config import events, paths
from mpo.core.domain.errors import ConfigError
from tests.cli.steps import create
from tests.conftest import MpoRunner

READ_STATUS = """import sqlite3, sys, uuid
row = sqlite3.connect(sys.argv[1]).execute(
    "SELECT status FROM task WHERE id = ?", (uuid.UUID(sys.argv[2]).hex,)).fetchone()
print(row[0])
"""


def _config(text: str) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_hooks_run_after_the_commit_and_never_undo_the_verb(
    runner: MpoRunner, db: Path, tmp_path: Path
) -> None:
    seen, status = tmp_path / "seen.jsonl", tmp_path / "status.txt"
    reader = tmp_path / "read_status.py"
    reader.write_text(READ_STATUS)
    # The second hook reads the task's status from a new process: the commit is durable.
    _config(f'''
[[hooks]]
on = ["approve", "reject"]
command = "cat >> {seen}; echo >> {seen}"

[[hooks]]
on = ["approve"]
command = "{sys.executable} {reader} {db} $MPO_TASK_ID >> {status}"

[[hooks]]
on = ["approve"]
command = "echo broken >&2; exit 3"

[[hooks]]
on = ["approve"]
command = "sleep 5; sleep 5"
timeout = 0.3

[[hooks]]
on = ["approve"]
marketplace = ["shopee"]
command = "touch {tmp_path / 'shopee'}"
''')
    task = create(runner, "t")  # the agent proposes, so root may approve
    assert runner("submit", task["id"]).exit_code == 0
    approved = runner("approve", task["id"])
    assert approved.exit_code == 0, approved.stderr
    assert "failed: RuntimeError: exit 3 broken" in approved.stderr
    assert "'sleep 5; sleep 5' on event 3 failed: TimeoutExpired" in approved.stderr
    [event] = [json.loads(line) for line in seen.read_text().splitlines() if line]
    assert (event["id"], event["type"]) == (3, "task.approve")
    assert event["data"]["task"]["marketplace"] == "amazon"
    assert status.read_text().split() == ["approved"]
    assert not (tmp_path / "shopee").exists()
    assert runner.json("show", task["id"])["status"] == "approved"


@pytest.mark.parametrize(("text", "message"), [
    ('[[hooks]]\non = ["explode"]\ncommand = "x"', "[[hooks]] #1: on: 'explode' is not one of"),
    ('[[hooks]]\non = ["approve"]', "[[hooks]] #1: command must be a non-empty string"),
    ('[[hooks]]\non = ["approve"]\ncommand = "x"\ntimeout = -1', "timeout must be a number"),
    ('[[hooks]]\non = ["approve"]\ncommand = "x"\nwhen = 1', "unknown key 'when'"),
    ('[[channels]]\nname = "x"', "give one of email = ADDRESS or apprise = URL"),
    ('[[channels]]\nemail = "a@b"\nquiet_hours = "late"', "is not a span such as 22:00-08:00"),
])
def test_a_bad_entry_names_itself_and_the_field(text: str, message: str) -> None:
    import tomllib

    data = tomllib.loads(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        events.hooks(data)
        events.channels(data)


def test_after_commit_consumers_get_bulk_logged_events_as_the_app_role() -> None:
    """On PostgreSQL the app role only sees rows while its transaction is authenticated, so
    the events `log()` wrote are read back before the COMMIT, not after it."""
    from mpo.core.domain.permissions import Actor, Role
    from mpo.core.domain.validation import Rules
    from mpo.core.tables.models import TaskEvent
    from mpo.core.usecases import identity
    from mpo.core.usecases.create import create_tasks
    from mpo.store.database import SqlDatabase
    from mpo.store.migrate import upgrade
    from tests.builders import draft
    from tests.pg_app import app_login, module_database

    with module_database() as owner_url:
        upgrade(owner_url)
        owner = SqlDatabase(owner_url)
        root = identity.bootstrap_admin(owner, "root")
        assert root is not None
        token = identity.add_principal(owner, identity.authenticate(owner, root),
                                       "marketplace-amazon", "agent", "amazon", Rules()).token
        owner.engine.dispose()
        with app_login(owner_url) as app_url:
            db = SqlDatabase(app_url, token=token)
            seen: list[list[TaskEvent]] = []
            db.after_commit.append(lambda events, tasks: seen.append(list(events)))
            agent = Actor("marketplace-amazon", Role.AGENT, "amazon")
            made = create_tasks(db, agent, [("task", draft())], Rules())
            db.engine.dispose()
    assert [[(e.task_id, e.action) for e in events] for events in seen] == [
        [(made.tasks[0].task.id, "create")]]


def test_a_hook_runs_without_mpos_credentials(runner: MpoRunner, db: Path,
                                               tmp_path: Path) -> None:
    """A hook is another program: the token a command acted with is not handed to it."""
    seen = tmp_path / "env.txt"
    _config(f'[[hooks]]\non = ["create"]\ncommand = "env > {seen}"\n')
    create(runner, "t")  # as the agent, with MPO_TOKEN in the environment
    names = {line.split("=", 1)[0] for line in seen.read_text().splitlines()}
    assert "MPO_EVENT_ID" in names and "MPO_TOKEN" not in names

"""Shell hooks from the config file: after the commit, the event on stdin, filters, and a
failing or slow hook reported without failing or undoing the verb."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mpo.config import events, paths
from mpo.core.errors import ConfigError
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
    task = runner.json("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1",
                       "--created-by", "marketplace-amazon")
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

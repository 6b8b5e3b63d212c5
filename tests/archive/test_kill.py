"""An archive killed mid-run (`kill -9` of the installed `mpo archive`) leaves nothing
half-moved: each chunk is one transaction, so every task is live with all its events or
archived with all of them, and the chunks recorded are exactly what moved (issue 25)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.identity import bootstrap_admin
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from tests import migrated, readback
from tests.installed import MPO
from tests.team import add_members

TASKS = 400


def _world(url: str) -> str:
    """TASKS cancelled tasks (two events each); the admin's token."""
    migrated.prepare(url)
    db = SqlDatabase(url)
    token = bootstrap_admin(db, "boss")
    assert token is not None
    add_members(url)
    agent = Actor("marketplace-amazon", Role.AGENT, "amazon")
    made = create_tasks(db, agent, [("task", {
        "marketplace": "amazon", "title": f"t{i}", "category": "optimization",
        "estimated_hours": 1}) for i in range(TASKS)], Rules())
    transition(db, Actor("boss", Role.ADMIN), Action.CANCEL,
               Selection(refs=tuple(str(t.task.id) for t in made.tasks)),
               TransitionParams(reason_code="duplicate"), Rules())
    return token


def _whole(url: str) -> int:
    """Check nothing is half-moved; how many tasks are archived."""
    live = {readback.uid(r["id"]) for r in readback.fetch(url, "SELECT id FROM task")}
    archived = {readback.uid(r["id"])
                for r in readback.fetch(url, "SELECT id FROM task_archive")}
    assert not live & archived and len(live | archived) == TASKS
    for table, owners in (("task_event", live), ("task_event_archive", archived)):
        per_task: dict[str | None, int] = {}
        for row in readback.fetch(url, f"SELECT task_id FROM {table}"):
            per_task[readback.uid(row["task_id"])] = per_task.get(
                readback.uid(row["task_id"]), 0) + 1
        assert set(per_task) == owners and set(per_task.values()) <= {2}, table
    chunks = readback.fetch(url, "SELECT tasks, events FROM archive_batch")
    assert sum(c["tasks"] for c in chunks) == len(archived)
    assert sum(c["events"] for c in chunks) == 2 * len(archived)
    return len(archived)


def test_a_run_killed_mid_way_leaves_nothing_half_moved(database_url: str) -> None:
    token = _world(database_url)
    env = os.environ | {"MPO_DATABASE_URL": database_url, "MPO_TOKEN": token}
    run = subprocess.Popen([MPO, "archive", "--before", "0s", "--chunk", "1"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and run.poll() is None:
        if readback.fetch(database_url, "SELECT count(*) AS n FROM archive_batch")[0]["n"] >= 3:
            break
        time.sleep(0.01)
    os.kill(run.pid, signal.SIGKILL)
    assert run.wait(timeout=30) == -signal.SIGKILL, "the run ended before it was killed"
    moved = _whole(database_url)
    assert 0 < moved < TASKS
    # the next run goes on where it stopped
    again = subprocess.run([MPO, "archive", "--before", "0s", "--chunk", "100", "--json"],
                           env=env, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert _whole(database_url) == TASKS

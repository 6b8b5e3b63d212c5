"""kill -9 in the middle of a 10,000-task batch approve leaves it all applied or none, with
the audit log in step, on SQLite and PostgreSQL (issue 11). Two random kill points per
database here; bench/ may run more."""

from __future__ import annotations

import contextlib
import random
import signal
import subprocess
import uuid
from datetime import UTC, datetime

import pytest

from mpo.config import urls
from mpo.core.tables.models import Task
from mpo.store.engine import make_engine
from tests import readback
from tests.installed import MPO

pytestmark = pytest.mark.e2e
TASKS = 10_000


def _seed(url: str) -> None:
    """TASKS tasks awaiting approval, written in one statement (the batch is what is tested)."""
    now = datetime.now(UTC)
    rows = [{"id": uuid.uuid4(), "marketplace": "amazon", "created_by": "marketplace-amazon",
             "title": f"task {n}", "description": "", "category": "optimization",
             "status": "awaiting_approval", "priority": "medium", "estimated_hours": 1.0,
             "created_at": now, "submitted_at": now, "tags": [], "meta": {}}
            for n in range(TASKS)]
    engine = make_engine(urls.normalise(url))
    try:
        with engine.begin() as conn:
            conn.execute(Task.__table__.insert(),  # type: ignore[attr-defined]
                         [r | {"metadata": r.pop("meta")} for r in rows])
    finally:
        engine.dispose()


@pytest.mark.parametrize("kill_point", [1, 2])
def test_a_killed_batch_is_all_or_nothing(initialised: str, kill_point: int) -> None:
    _seed(initialised)
    delay = random.uniform(0.5, 8.0)
    process = subprocess.Popen([MPO, "approve", "--all", "--yes", "--note", "kill"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with contextlib.suppress(subprocess.TimeoutExpired):  # a run that ended is not waited for
        process.wait(timeout=delay)
    process.send_signal(signal.SIGKILL)  # nothing, if it ended: then all must be applied
    _, err = process.communicate(timeout=60)
    statuses = readback.fetch(initialised, "SELECT status, count(*) AS n FROM task "
                                           "GROUP BY status")
    approvals = readback.fetch(initialised, "SELECT count(*) AS n, count(DISTINCT task_id) "
                                            "AS tasks FROM task_event WHERE action = 'approve'")
    seen = f"killed after {delay:.2f} s (exit {process.returncode}): {err[-300:]!r}"
    counts = {row["status"]: row["n"] for row in statuses}
    assert counts in ({"awaiting_approval": TASKS}, {"approved": TASKS}), seen
    applied = counts.get("approved", 0)
    assert (approvals[0]["n"], approvals[0]["tasks"]) == (applied, applied), seen

"""kill -9 of a large batch approve at many random points: prints, for each kill, when it
landed and whether the batch was applied whole or not at all (anything else is a bug, and is
printed as BROKEN). The test (tests/e2e/test_kill.py) keeps two points per database; this
runs as many as asked, on SQLite (default) or the PostgreSQL database given.

    python bench/kill.py [--tasks 10000] [--points 10] [--db URL]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

BIN = Path(sys.executable).parent


def _count(url: str, sql: str) -> list[tuple[object, ...]]:
    from sqlalchemy import create_engine, text

    from mpo.config import urls

    engine = create_engine(urls.normalise(url))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _seed(url: str, tasks: int) -> None:
    from mpo.config import urls
    from mpo.core.tables.models import Task
    from mpo.store.engine import make_engine

    now = datetime.now(UTC)
    engine = make_engine(urls.normalise(url))
    with engine.begin() as conn:
        conn.execute(Task.__table__.insert(), [  # type: ignore[attr-defined]
            {"id": uuid.uuid4(), "marketplace": "amazon", "created_by": "marketplace-amazon",
             "title": f"t{n}", "description": "", "category": "analysis",
             "status": "awaiting_approval", "priority": "low", "estimated_hours": 1.0,
             "created_at": now, "submitted_at": now, "tags": [], "metadata": {}}
            for n in range(tasks)])
    engine.dispose()


def one(url: str | None, tasks: int, delay: float, home: Path) -> str:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "c"),
           "XDG_DATA_HOME": str(home / "d"),
           "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    env["MPO_DATABASE_URL"] = url or f"sqlite:///{home / 'mpo.db'}"
    subprocess.run([str(BIN / "mpo"), "init"], env=env, check=True, capture_output=True)
    _seed(env["MPO_DATABASE_URL"], tasks)
    process = subprocess.Popen([str(BIN / "mpo"), "approve", "--all", "--yes"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    code = process.wait()
    statuses = dict(_count(env["MPO_DATABASE_URL"],
                           "SELECT status, count(*) FROM task GROUP BY status"))
    events = _count(env["MPO_DATABASE_URL"],
                    "SELECT count(*) FROM task_event WHERE action = 'approve'")[0][0]
    applied = statuses.get("approved", 0)
    whole = statuses in ({"awaiting_approval": tasks}, {"approved": tasks}) and events == applied
    verdict = ("none applied" if not applied else "all applied") if whole else "BROKEN"
    return f"kill at {delay:5.2f} s (exit {code}): {verdict}; {statuses}, {events} events"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=10)
    parser.add_argument("--db", help="a fresh PostgreSQL database URL (dropped and re-used "
                        "is up to you); default: a new SQLite file per kill")
    args = parser.parse_args()
    if args.db and args.points > 1:
        parser.error("with --db, run one point at a time on a fresh database")
    for _ in range(args.points):
        with tempfile.TemporaryDirectory() as tmp:
            print(one(args.db, args.tasks, random.uniform(0.5, 10.0), Path(tmp)), flush=True)


if __name__ == "__main__":
    main()

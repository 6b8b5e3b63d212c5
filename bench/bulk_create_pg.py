"""Bulk create on PostgreSQL: `mpo create --from` (COPY, as an `mpo_app` login, as in
production) next to a plain COPY of the same rows, each into a fresh migrated database.

- `mpo create --from FILE`: validation, permissions, row-level security, the audit events;
  rows and events streamed with COPY into temporary tables, then inserted by
  `mpo_create_batch`, which checks the write guards' create rules once for the batch
  (store/create_batch.py, migration 0023);
- plain COPY: a psycopg process that reads the same NDJSON and COPYs the task rows and one
  audit event each into the same schema (same indexes and triggers) as the owner.
Target (issue 26): >= 30,000 tasks/s. Prints figures and ratios with the load; asserts
nothing. Needs MPO_TEST_DATABASE_URL (a superuser URL, as the tests use).

    python bench/bulk_create_pg.py [--tasks 100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from bulk_create import generate, timed

from mpo.core.usecases.identity import bootstrap_admin
from mpo.store.database import SqlDatabase
from mpo.store.migrate import upgrade

PLAIN = r'''
import json, sys, uuid
from datetime import datetime, UTC
import psycopg
url, source = sys.argv[1], sys.argv[2]
now = datetime.now(UTC)
batch = uuid.uuid4()
tasks, events = [], []
with open(source, encoding="utf-8") as lines:
    for line in lines:
        t = json.loads(line)
        tid = uuid.uuid4()
        tasks.append((tid, t["marketplace"], "root", t["title"], t.get("description", ""),
                      t["category"], "pending", t.get("priority", "medium"),
                      float(t["estimated_hours"]), now, json.dumps(t.get("tags", [])),
                      json.dumps(t.get("metadata", {}))))
        events.append((tid, batch, "root", "create", None, "pending", None, now, "{}"))
with psycopg.connect(url) as conn, conn.cursor() as cur:
    with cur.copy("COPY task (id, marketplace, created_by, title, description, category, "
                  "status, priority, estimated_hours, created_at, tags, metadata) "
                  "FROM STDIN") as copy:
        for row in tasks:
            copy.write_row(row)
    with cur.copy("COPY task_event (task_id, batch_id, actor, action, from_status, "
                  "to_status, reason, at, payload) FROM STDIN") as copy:
        for row in events:
            copy.write_row(row)
'''


def _database(admin: str, base: str) -> str:
    name = f"mpo_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    upgrade(f"{base}/{name}")
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    count = parser.parse_args().tasks
    server = os.environ.get("MPO_TEST_DATABASE_URL")
    if not server:
        sys.exit("set MPO_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ndjson, _ = generate(count)
    mpo = shutil.which("mpo", path=str(Path(sys.executable).parent)) or shutil.which("mpo")
    if mpo is None:
        sys.exit("the mpo console script is not installed (pip install -e '.[test]')")
    base = server.rpartition("/")[0]
    admin = server.replace("postgresql+psycopg://", "postgresql://", 1)
    role = f"mpo_bench_{uuid.uuid4().hex[:8]}"
    names: list[str] = []
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} before the run")
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE mpo_app')
        mine, plain = _database(admin, base), _database(admin, base)
        names += [mine, plain]
        token = bootstrap_admin(SqlDatabase(f"{base}/{mine}"), "root")
        assert token is not None
        with tempfile.TemporaryDirectory(prefix="mpo-bench-bulk-pg-") as home:
            env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")}
            env |= {"HOME": home, "MPO_TOKEN": token,
                    "MPO_DATABASE_URL": f"{base}/{mine}".replace("postgres@", f"{role}@", 1)}
            results = {
                "mpo create --from (COPY)": timed([mpo, "create", "--from", str(ndjson)], env),
                "plain COPY": timed([sys.executable, "-c", PLAIN,
                                     f"{admin.rpartition('/')[0]}/{plain}", str(ndjson)], env),
            }
        with psycopg.connect(f"{admin.rpartition('/')[0]}/{mine}") as conn:
            stored = conn.execute("SELECT count(*) FROM task").fetchone()
        assert stored is not None and stored[0] == count, stored
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    print(f"{count:,} tasks with one audit event each, one run each")
    print(f"{'command':<28}{'wall s':>9}{'cpu s':>9}{'tasks/s':>11}")
    for name, (wall, cpu) in results.items():
        print(f"{name:<28}{wall:>9.2f}{cpu:>9.2f}{count / wall:>11,.0f}")
    rate = count / results["mpo create --from (COPY)"][0]
    share = results["plain COPY"][0] / results["mpo create --from (COPY)"][0]
    print(f"mpo: {rate:,.0f} tasks/s (target >= 30,000: {'met' if rate >= 30_000 else 'MISSED'})"
          f"; {share:.0%} of plain COPY's rate")
    print(f"load average {os.getloadavg()[0]:.2f} after the run")


if __name__ == "__main__":
    main()

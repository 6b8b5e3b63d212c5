"""Benchmark `mpo stats` on a year of work: 1,000,000 tasks, then time the command.

On SQLite the database is bench/dataset.py's cached file (plain sqlite3 executemany into
the migrated schema, generated once and kept under /tmp); a PostgreSQL URL is filled through
the store. The timed part runs the installed `mpo stats` as a subprocess and records its
peak RSS, next to one plain aggregate scan of the same file (a `sqlite3` process grouping
every task by marketplace). Targets (issues 4 and 11): <= 2 s on SQLite on a 2-core machine,
<= 3x the plain scan, peak RSS <= 150 MiB. Prints figures and ratios; asserts nothing.

    python bench/stats.py                          # the cached 1,000,000-task file
    python bench/stats.py --tasks 100000
    python bench/stats.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench --tasks 100000
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from dataset import lifecycles, sqlite_file


def _bulk(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows with the driver's executemany, values converted by the columns' own types.

    Same storage format as the ORM (the types' bind processors), without SQLAlchemy's
    per-row parameter bookkeeping, which costs three times the insert itself.
    """
    names = list(rows[0])
    dialect = conn.dialect
    convert = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quoted = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join(mark for _ in names)})"
    cursor = conn.connection.dbapi_connection.cursor()
    cursor.executemany(sql, [tuple(c(r[n]) if c else r[n]
                                   for n, c in zip(names, convert, strict=True)) for r in rows])
    cursor.close()


def generate(url: str, n: int, seed: int) -> None:
    """Create the schema and `n` tasks with their events, in bulk through the store."""
    import time

    from mpo.core.tables.models import Task, TaskEvent
    from mpo.store.database import SqlDatabase
    from mpo.store.migrate import upgrade

    upgrade(url)
    db = SqlDatabase(url)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    started = time.perf_counter()
    done = 0
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # One connection and a big page cache: random UUID keys thrash the default 2 MB.
            conn.exec_driver_sql("PRAGMA cache_size=-524288")
            conn.commit()
        for tasks, events in lifecycles(n, seed, now):
            with conn.begin():
                _bulk(conn, Task.__table__, tasks)
                _bulk(conn, TaskEvent.__table__, events)
            done += len(tasks)
            rate = done / (time.perf_counter() - started)
            print(f"\r  {done:,} tasks ({rate:,.0f}/s)", end="", flush=True)
    print()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does to a table this size sooner or later: statistics for the
        # planner, and a visibility map so index-only scans skip the heap.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("task", "task_event"):
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")


def span(url: str) -> tuple[datetime, datetime, int]:
    """When the first and last task were created, and how many there are."""
    from sqlalchemy import func, select

    from mpo.core.tables.models import Task
    from mpo.store.database import SqlDatabase

    db = SqlDatabase(url)
    with db.engine.connect() as conn:
        first, last, n = conn.execute(select(func.min(Task.created_at),
                                             func.max(Task.created_at), func.count())).one()
    return first, last, n


#: Runs a command and prints its wall time, CPU time, peak RSS (KiB) and exit code. The
#: bench launches it fresh, because a child forked from the bench itself would report the
#: bench's own memory: Linux keeps a process's peak RSS across exec.
LAUNCHER = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
      os.waitstatus_to_exitcode(status))
"""


def viewer_token(url: str) -> str:
    """A token for `bench-viewer`, who may read stats (minted again on a reused file)."""
    from mpo.core.domain.errors import Conflict
    from mpo.core.domain.permissions import Actor, Role
    from mpo.core.domain.validation import Rules
    from mpo.core.usecases.identity import add_principal, rotate_token
    from mpo.store.database import SqlDatabase

    db, boss = SqlDatabase(url), Actor("bench", Role.ADMIN)
    try:
        return add_principal(db, boss, "bench-viewer", "viewer", None, Rules()).token
    except Conflict:
        return rotate_token(db, boss, "bench-viewer").token


def token_file(home: str, token: str) -> str:
    """`token` in a private file, for --token-file."""
    import os

    path = os.path.join(home, "empty.token")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(token)
    return path


#: One plain aggregate scan of every task: what SQLite itself needs to read the file once.
PLAIN_SCAN = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("SELECT marketplace, count(*), sum(estimated_hours), sum(actual_hours), "
             "count(approved_at), count(rejected_at), count(completed_at) "
             "FROM task NOT INDEXED GROUP BY marketplace").fetchall()
"""


def timed_command(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run `command` through the launcher; wall (s), CPU (s), peak RSS (MiB)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", LAUNCHER, *command], env=env,
                         capture_output=True, text=True, check=True)
    wall, cpu, rss, code = out.stdout.split()
    if int(code):
        raise SystemExit(f"{' '.join(command[:3])} failed: {out.stderr}")
    return float(wall), float(cpu), int(rss) / 1024


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run `mpo ARGS`; its wall time (s), CPU time (s) and peak RSS (MiB)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", LAUNCHER, "mpo", *args], env=env,
                         capture_output=True, text=True, check=True)
    wall, cpu, rss, code = out.stdout.split()
    if int(code):
        raise SystemExit(f"mpo {' '.join(args)} failed: {out.stderr}")
    return float(wall), float(cpu), int(rss) / 1024


def bench(url: str, repeat: int) -> None:
    """Time `mpo stats` over the whole year for every grouping, and the cron form."""
    import os
    import statistics
    import sys
    import tempfile

    from mpo.store.migrate import upgrade

    upgrade(url)  # a reused file from an older mpo gets the current indexes
    first, last, n = span(url)
    since, until = first.date().isoformat(), (last + timedelta(minutes=1)).isoformat()
    home = tempfile.mkdtemp(prefix="mpo-bench-home-")
    env = dict(os.environ, MPO_DATABASE_URL=url, HOME=home, XDG_CONFIG_HOME=home,
               MPO_TIMEZONE="UTC", MPO_TOKEN=viewer_token(url))
    year = ["stats", "--since", since, "--until", until, "--json"]
    runs = [(f"full year, --by {by}", [*year, "--by", by])
            for by in ("marketplace", "agent", "category", "priority", "day", "assignee")]
    runs.append(("cron: --day (last day)", ["stats", "--day", last.date().isoformat(),
                                            "--json"]))
    runs.append(("default: last 30 days", ["stats", "--json"]))
    empty = f"sqlite:///{home}/empty.db"
    upgrade(empty)
    runs.insert(0, ("baseline: empty database", ["--db", empty, "--token-file", token_file(
        home, viewer_token(empty)), "stats", "--json"]))
    print(f"{n:,} tasks, created {since} .. {last:%Y-%m-%d}; median of {repeat} runs each; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print("(the baseline is mpo starting, importing its libraries and reading an empty "
          "database: the floor under every run)")
    print(f"{'run':<28} {'wall s':>7} {'cpu s':>6} {'RSS MiB':>8} {'time/2s':>8} "
          f"{'RSS/150':>8}")
    walls: dict[str, float] = {}
    for label, args in runs:
        results = [timed(args, env) for _ in range(repeat)]
        wall = walls[label] = statistics.median(r[0] for r in results)
        cpu = statistics.median(r[1] for r in results)
        rss = max(r[2] for r in results)
        print(f"{label:<28} {wall:7.2f} {cpu:6.2f} {rss:8.1f} {wall / 2:8.2f} {rss / 150:8.2f}")
    if url.startswith("sqlite"):
        scan = [sys.executable, "-c", PLAIN_SCAN, url.removeprefix("sqlite:///")]
        plain = [timed_command(scan, env) for _ in range(repeat)]
        floor = statistics.median(r[0] for r in plain)
        print(f"{'plain sqlite3 aggregate scan':<28} {floor:7.2f} "
              f"{statistics.median(r[1] for r in plain):6.2f}")
        year_wall = max(walls[label] for label in walls if label.startswith("full year"))
        print(f"slowest full year / plain scan: {year_wall / floor:.2f} (target <= 3: "
              f"{'met' if year_wall / floor <= 3 else 'MISSED'}); slowest full year "
              f"{year_wall:.2f} s (target <= 2 s: {'met' if year_wall <= 2 else 'MISSED'})")
    print(f"targets: <= 2 s wall and <= 150 MiB peak RSS per run (ratios above 1 miss); "
          f"load average now {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a PostgreSQL URL (default: the cached SQLite file)")
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement")
    parser.add_argument("--reuse", action="store_true",
                        help="with --db: time the existing database instead of filling it")
    args = parser.parse_args()
    if args.db is None:
        url = f"sqlite:///{sqlite_file(args.tasks, args.seed)}"
    else:
        url = args.db
        if not args.reuse:
            generate(url, args.tasks, args.seed)
    bench(url, args.repeat)


if __name__ == "__main__":
    main()

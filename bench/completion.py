"""Completion latency: how long `mpo` takes to answer a shell's completion request for a
task id prefix, with 100,000 tasks in the database, against how long `mpo --help` takes.
The request carries a viewer's token in MPO_TOKEN, as completion needs a credential.
Target: at most 1.5x `mpo --help`. Prints numbers; asserts nothing.

    python bench/completion.py [--tasks 100000] [--repeat 15] [--database-url URL]

Without --database-url it builds a temporary SQLite database; a PostgreSQL URL must name an
empty database (the schema is created, the tasks inserted; nothing is dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

MPO = str(Path(sys.executable).parent / "mpo")
PREFIX = "3f"


def build(url: str, count: int) -> tuple[float, str]:
    """Create the schema, a viewer and `count` tasks in one transaction; return seconds and
    the viewer's token."""
    from sqlalchemy import insert

    from mpo.core.domain import tokens
    from mpo.core.tables.models import Principal, Task
    from mpo.store.engine import WRITE, make_engine
    from mpo.store.migrate import upgrade

    started = time.perf_counter()
    upgrade(url)
    now = datetime.now(UTC)
    rows = [{"id": uuid.uuid4(), "marketplace": "amazon", "created_by": "bench",
             "title": f"task {n}", "description": "", "category": "scaling",
             "status": "pending", "priority": "medium", "estimated_hours": 1.0,
             "created_at": now, "tags": [], "metadata": {}} for n in range(count)]
    engine = make_engine(url)
    token = tokens.mint(None)
    with engine.execution_options(**{WRITE: True}).begin() as conn:
        conn.execute(insert(Task), rows)
        conn.execute(insert(Principal), [{"id": uuid.uuid4(), "name": "bench-viewer",
                                          "role": "viewer", "token_hash": tokens.digest(token),
                                          "created_at": now}])
    engine.dispose()
    return time.perf_counter() - started, token


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system) and stdout of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout


def measure(argv: list[str], env: dict[str, str], repeat: int) -> tuple[float, float, str]:
    """Median wall and CPU seconds over `repeat` runs, after one warm-up run."""
    _, _, out = timed(argv, env)
    runs = [timed(argv, env) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        seconds, token = build(url, args.tasks)
        print(f"built {args.tasks:,} tasks in {seconds:.1f} s ({url.split('://')[0]})")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")} | {
            "MPO_DATABASE_URL": url, "MPO_CONFIG": str(Path(tmp) / "config.toml"),
            "COLUMNS": "100", "MPO_TOKEN": token}
        help_wall, help_cpu, _ = measure([MPO, "--help"], env, args.repeat)
        request = env | {"_MPO_COMPLETE": "bash_complete", "COMP_WORDS": f"mpo show {PREFIX}",
                         "COMP_CWORD": "2"}
        comp_wall, comp_cpu, out = measure([MPO], request, args.repeat)

    found = len(out.splitlines())
    print(f"median of {args.repeat} runs      wall ms   cpu ms")
    print(f"mpo --help                 {help_wall * 1000:7.1f}  {help_cpu * 1000:7.1f}")
    print(f"complete 'mpo show {PREFIX}'     {comp_wall * 1000:7.1f}  {comp_cpu * 1000:7.1f}"
          f"   ({found} candidates)")
    ratio = comp_wall / help_wall
    print(f"ratio completion / --help  {ratio:7.2f}x {comp_cpu / help_cpu:7.2f}x"
          f"   (target <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'})")


if __name__ == "__main__":
    main()

"""Bulk create from NDJSON: `mpo create --from` against plain sqlite3 and Taskwarrior.

Three processes import the same N tasks (default 100,000), each into a fresh store:
- `mpo create --from FILE` (an admin, token in MPO_TOKEN; output piped to /dev/null),
- plain `sqlite3`: a Python process that reads the same NDJSON and runs one executemany of
  tasks and one of their audit events into a copy of the same migrated (empty) database:
  the same indexes, WAL and synchronous=FULL; no validation, no permissions. Twice: as
  the issue names it (`executemany`, one statement per row, where the full-text index
  flushes a segment per statement), and `staged` (rows into temporary tables, then one
  INSERT ... SELECT per table, as mpo writes): the stricter floor,
- `task import` (Taskwarrior) of the same tasks, when `task` is installed.
Prints wall and CPU seconds, tasks per second, and the targets of issue 11:
mpo >= 50 % of the plain-sqlite3 rate, and ahead of Taskwarrior's import. Asserts nothing.

    python bench/bulk_create.py [--tasks 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from mpo.core.domain.vocabulary import DEFAULT_MARKETPLACES, Category, Priority, values

PLAIN = r'''
import json, sqlite3, sys, uuid
from datetime import datetime, UTC
path, source = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(path, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA synchronous=FULL")
now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
batch = uuid.uuid4().hex
tasks, events = [], []
with open(source, encoding="utf-8") as lines:
    for line in lines:
        t = json.loads(line)
        tid = uuid.uuid4().hex
        tasks.append((tid, t["marketplace"], "marketplace-" + t["marketplace"], t["title"],
                      t.get("description", ""), t["category"], "pending",
                      t.get("priority", "medium"), float(t["estimated_hours"]), now,
                      json.dumps(t.get("tags", [])), json.dumps(t.get("metadata", {}))))
        events.append((tid, batch, "ana", "create", None, "pending", None, now, "{}"))
TASK = ("task (id, marketplace, created_by, title, description, category, status, priority,"
        " estimated_hours, created_at, tags, metadata)")
EVENT = "task_event (task_id, batch_id, actor, action, from_status, to_status, reason, at, payload)"
conn.execute("BEGIN IMMEDIATE")
if sys.argv[3] == "staged":  # rows into temporary tables, then one INSERT ... SELECT each
    for table, rows, marks in ((TASK, tasks, 12), (EVENT, events, 9)):
        name, columns = table.split(" ", 1)
        conn.execute(f"CREATE TEMP TABLE stage_{name} {columns}")
        conn.executemany(f"INSERT INTO stage_{name} VALUES ({','.join('?' * marks)})", rows)
        conn.execute(f"INSERT INTO {table} SELECT * FROM stage_{name}")
else:
    conn.executemany(f"INSERT INTO {TASK} VALUES ({','.join('?' * 12)})", tasks)
    conn.executemany(f"INSERT INTO {EVENT} VALUES ({','.join('?' * 9)})", events)
conn.execute("COMMIT")
'''


def generate(count: int) -> tuple[Path, Path]:
    """The NDJSON for mpo and the same tasks in Taskwarrior's format (cached under /tmp)."""
    ndjson = Path(f"/tmp/mpo-bench-bulk-{count}.ndjson")
    tw = Path(f"/tmp/mpo-bench-bulk-{count}.tw.json")
    if ndjson.exists() and tw.exists():
        return ndjson, tw
    rng = random.Random(11)
    entry = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with ndjson.open("w") as mine, tw.open("w") as theirs:
        for n in range(count):
            task = {
                "marketplace": rng.choice(DEFAULT_MARKETPLACES),
                "title": f"Rewrite GEO titles for {rng.randint(5, 500)} SKUs, batch {n}",
                "description": "Titles lack the search terms buyers use. " * rng.randint(0, 3),
                "category": rng.choice(values(Category)),
                "priority": rng.choice(values(Priority)),
                "estimated_hours": rng.choice((0.5, 1, 2, 4, 8, 16)),
                "tags": rng.sample(("geo", "titles", "images", "ads", "q3"), 2),
                "metadata": {"skus": rng.randint(5, 500)},
            }
            mine.write(json.dumps(task) + "\n")
            theirs.write(json.dumps({
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "description": task["title"], "status": "pending", "entry": entry,
                "project": task["marketplace"], "priority": task["priority"][0].upper(),
                "tags": task["tags"],
            }) + "\n")
    return ndjson, tw


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of `command`; exits if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed: {done.stderr.strip()[:500]}")
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    count = parser.parse_args().tasks
    ndjson, tw_json = generate(count)
    mpo = shutil.which("mpo", path=str(Path(sys.executable).parent)) or shutil.which("mpo")
    if mpo is None:
        sys.exit("the mpo console script is not installed (pip install -e '.[test]')")
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="mpo-bench-bulk-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")}
        env |= {"HOME": home, "XDG_CONFIG_HOME": f"{home}/config",
                "XDG_DATA_HOME": f"{home}/data", "MPO_DATABASE_URL": f"sqlite:///{home}/mpo.db"}
        init = subprocess.run([mpo, "init", "--json"], env=env, capture_output=True,
                              text=True, check=True)
        token = json.loads(init.stdout).get("admin_token")
        if token:
            env["MPO_TOKEN"] = token
        template = Path(home, "empty.db")
        shutil.copy(Path(home, "mpo.db"), template)

        for name, how in (("plain sqlite3 executemany", "executemany"),
                          ("plain sqlite3 staged", "staged")):
            Path(home, "plain.db").write_bytes(template.read_bytes())
            results[name] = timed([sys.executable, "-c", PLAIN, f"{home}/plain.db",
                                   str(ndjson), how], env)
        results["mpo create --from"] = timed([mpo, "create", "--from", str(ndjson)], env)
        if shutil.which("task") is None:
            print("taskwarrior: skipped: taskwarrior not installed (apt-get install taskwarrior)")
        else:
            taskrc = Path(home, "taskrc")
            taskrc.write_text(f"data.location={home}/tw\nconfirmation=off\nverbose=nothing\n")
            Path(home, "tw").mkdir()
            results["task import"] = timed(["task", "import", str(tw_json)],
                                           env | {"TASKRC": str(taskrc)})

    print(f"{count:,} tasks (with one audit event each for sqlite3 and mpo), one run each")
    print(f"{'command':<30}{'wall s':>9}{'cpu s':>9}{'tasks/s':>11}")
    for name, (wall, cpu) in results.items():
        print(f"{name:<30}{wall:>9.2f}{cpu:>9.2f}{count / wall:>11,.0f}")
    mpo_wall, mpo_cpu = results["mpo create --from"]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: on a shared "
          "machine CPU time is the steadier measure; both are shown")
    for floor in ("plain sqlite3 executemany", "plain sqlite3 staged"):
        plain_wall, plain_cpu = results[floor]
        for what, mine, theirs in (("wall", mpo_wall, plain_wall), ("cpu", mpo_cpu, plain_cpu)):
            share = theirs / mine
            print(f"mpo rate / {floor} rate ({what}): {share:.0%} (target >= 50 %: "
                  f"{'met' if share >= 0.5 else 'MISSED'})")
    if "task import" in results:
        tw_wall, tw_cpu = results["task import"]
        for what, mine, theirs in (("wall", mpo_wall, tw_wall), ("cpu", mpo_cpu, tw_cpu)):
            print(f"mpo time / task import time ({what}): {mine / theirs:.2f} (target < 1: "
                  f"{'met' if mine < theirs else 'MISSED'})")

if __name__ == "__main__":
    main()

"""Batch lifecycle verbs: one process moving N tasks against one moving a single task.

Sets up an SQLite database with 2 x N + 6 tasks (created through `mpo create --from`), then
times whole `mpo` processes, ids on stdin (`-`) with `--yes`, output piped:
submit, approve, assign and complete N tasks (set A), submit and reject N more (set B),
each next to the same verb on one task in the same run. Target (issue 11): a batch of
10,000 takes <= 4x the time of the single-task run. Prints numbers and ratios only.

    python bench/batch.py [--tasks 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VERBS: dict[str, list[str]] = {
    "submit": [],
    "approve": ["--note", "bench"],
    "reject": ["--reason-code", "duplicate"],
    "assign": ["--to", "ana"],
    "complete": ["--actual-hours", "3"],
}


def call(command: list[str], env: dict[str, str], stdin: str = "") -> tuple[float, float, str]:
    """Wall and CPU seconds of one run, and its stdout; exits if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, input=stdin, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed: {done.stderr.strip()[:500]}")
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    count = parser.parse_args().tasks
    mpo = shutil.which("mpo", path=str(Path(sys.executable).parent)) or shutil.which("mpo")
    if mpo is None:
        sys.exit("the mpo console script is not installed (pip install -e '.[test]')")
    with tempfile.TemporaryDirectory(prefix="mpo-bench-batch-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")}
        env |= {"HOME": home, "XDG_CONFIG_HOME": f"{home}/config",
                "XDG_DATA_HOME": f"{home}/data", "MPO_DATABASE_URL": f"sqlite:///{home}/mpo.db"}
        init = json.loads(call([mpo, "init", "--json"], env)[2])
        if init.get("admin_token"):
            env["MPO_TOKEN"] = init["admin_token"]
        # The agent proposes (an admin never approves what it recorded itself); ana works.
        agent = json.loads(call([mpo, "principal", "add", "marketplace-amazon", "--role",
                                 "agent", "-m", "amazon", "--json"], env)[2])["token"]
        call([mpo, "principal", "add", "ana", "--role", "member", "--json"], env)
        source = Path(home, "tasks.ndjson")
        with source.open("w") as out:
            for n in range(2 * count + 6):
                out.write(json.dumps({
                    "marketplace": "amazon", "title": f"Rewrite GEO titles, batch {n}",
                    "category": "optimization", "estimated_hours": 4,
                    "created_by": "marketplace-amazon"}) + "\n")
        made = call([mpo, "create", "--from", str(source), "--jsonl", "--fields", "id"],
                    env | {"MPO_TOKEN": agent})
        ids = [json.loads(line)["id"] for line in made[2].splitlines()]
        a, b, singles = ids[:count], ids[count:2 * count], ids[2 * count:]
        plan = [("submit", a, singles[0:1]), ("approve", a, singles[0:1]),
                ("assign", a, singles[0:1]), ("complete", a, singles[0:1]),
                ("submit", b, singles[1:2]), ("reject", b, singles[1:2])]
        results: list[tuple[str, float, float, float, float]] = []
        for verb, many, one in plan:
            single = call([mpo, verb, one[0], "--yes", *VERBS[verb]], env)
            batch = call([mpo, verb, "-", "--yes", *VERBS[verb]], env, "\n".join(many))
            results.append((verb, single[0], single[1], batch[0], batch[1]))

    print(f"batch of {count:,} tasks vs one task, whole processes, one run each (seconds)")
    print(f"{'verb':<10}{'1 wall':>8}{'1 cpu':>8}{'N wall':>9}{'N cpu':>8}{'N/1 wall':>10}"
          f"{'N/1 cpu':>9}  target <= 4x")
    for verb, one_wall, one_cpu, many_wall, many_cpu in results:
        ratio = many_wall / one_wall
        print(f"{verb:<10}{one_wall:>8.2f}{one_cpu:>8.2f}{many_wall:>9.2f}{many_cpu:>8.2f}"
              f"{ratio:>10.2f}{many_cpu / one_cpu:>9.2f}  {'met' if ratio <= 4 else 'MISSED'}")


if __name__ == "__main__":
    main()

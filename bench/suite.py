"""The README's test command, timed, with where its CPU goes (issue 26: <= 90 s on 2 cores).

Runs `pytest -n auto` (CI=true, MPO_TEST_DATABASE_URL as .ci/run sets it) with
`--durations=0`, and prints:
- wall seconds, and CPU seconds of pytest with its children (workers, every `mpo` and
  browser they start) and of PostgreSQL's processes during the run;
- the floor that CPU sets: all of it spread evenly on the machine's cores, no waiting;
- the share of wall time no core was busy (the tests' own waiting: sleeps, timeouts);
- the summed setup/call/teardown seconds, the slowest test files by their tests' summed
  time, and how many tests make up half of it.
Asserts nothing. Run it on a quiet machine (it waits for the load to fall under 1).

    python bench/suite.py [-- EXTRA PYTEST ARGS]
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import cpu_budget

ROOT = Path(__file__).resolve().parent.parent
TARGET = 90.0
DURATION = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S+)$")


def _settle(limit: float = 1.0, patience: float = 300.0) -> float:
    deadline = time.monotonic() + patience
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(5)
    return os.getloadavg()[0]


def main() -> None:
    extra = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    env = os.environ | {"CI": "true"}
    env.setdefault("MPO_TEST_DATABASE_URL",
                   "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    before_load = _settle()
    pg_before = cpu_budget.postgres_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        done = subprocess.run([sys.executable, "-m", "pytest", "-n", "auto", "-q",
                               "--durations=0", *extra], cwd=ROOT, env=env, stdout=out,
                              stderr=subprocess.STDOUT, check=False)
        wall = time.perf_counter() - started
        out.seek(0)
        lines = out.read().splitlines()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    pytest_cpu = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    pg_cpu = cpu_budget.postgres_seconds() - pg_before
    cores = os.cpu_count() or 1

    phases: Counter[str] = Counter()
    files: Counter[str] = Counter()
    tests: Counter[str] = Counter()
    for line in lines:
        match = DURATION.match(line)
        if match:
            seconds, phase, test = float(match[1]), match[2], match[3]
            phases[phase] += seconds
            files[test.split("::")[0]] += seconds
            tests[test] += seconds
    summary = next((line for line in reversed(lines) if " passed" in line or " failed" in line),
                   "(no summary line)")
    busy = pytest_cpu + pg_cpu
    print(f"pytest -n auto on {cores} CPUs: {summary.strip('= ')} (exit {done.returncode})")
    print(f"wall {wall:.1f} s [load {before_load:.2f} before, {os.getloadavg()[0]:.2f} after]; "
          f"target <= {TARGET:.0f} s: {'met' if wall <= TARGET else 'MISSED'}")
    print(f"CPU: pytest and its children {pytest_cpu:.1f} s, PostgreSQL {pg_cpu:.1f} s = "
          f"{busy:.1f} s; spread on {cores} cores that is {busy / cores:.1f} s at best "
          f"(the floor at this CPU cost; {TARGET:.0f} s needs <= {TARGET * cores:.0f} CPU s)")
    print(f"cores idle: {max(0.0, 1 - busy / (wall * cores)):.0%} of {cores} x {wall:.0f} s "
          "(tests waiting: sleeps, timeouts, servers starting and stopping)")
    total = sum(phases.values())
    if total:
        print(f"summed test time {total:.0f} s: " + ", ".join(
            f"{phase} {seconds:.0f} s" for phase, seconds in phases.most_common()))
        ordered = sorted(tests.values(), reverse=True)
        running, half = 0.0, 0
        while running < total / 2:
            running += ordered[half]
            half += 1
        print(f"{half} of {len(ordered)} tests make half of it; slowest files:")
        for name, seconds in files.most_common(12):
            print(f"  {seconds:7.1f} s  {name}")


if __name__ == "__main__":
    main()

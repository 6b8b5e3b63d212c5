"""`mpo list` filtered, a page of 50, and `mpo list --search`, on a small and a large file.

Times whole processes (a viewer with its token in MPO_TOKEN, output piped) on the cached
bench databases of bench/dataset.py: 1,000 tasks and, by default, 1,000,000. Target
(issue 11): each filtered list with --limit 50 at the large size takes <= 1.2x the same
command at 1,000 tasks. Search has no ratio target; its times are printed. Also prints
SQLite's plan for each query, to show the index that serves it. Asserts nothing.

    python bench/list.py [--tasks 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dataset import sqlite_file
from stats import viewer_token

LISTS: dict[str, list[str]] = {
    "newest 50": ["list", "-n", "50"],
    "status + marketplace": ["list", "-s", "awaiting_approval", "-m", "amazon", "-n", "50"],
    "status, oldest first": ["list", "-s", "completed", "--oldest-first", "-n", "50"],
    "created-by": ["list", "--created-by", "marketplace-shopee", "-n", "50"],
    "assigned-to + status": ["list", "--assigned-to", "bruno", "-s", "completed", "-n", "50"],
    "priority + category": ["list", "-p", "high", "-c", "scaling", "-n", "50"],
    "page 2 (--after)": [],  # filled in with the cursor of the first page
}
SEARCHES: dict[str, list[str]] = {
    "search 'reprice ads'": ["list", "--search", "reprice ads", "-n", "50"],
    "search 'localise bundles' + market": ["list", "--search", "localise bundles", "-m",
                                          "shein", "-n", "50"],
    "search rare '499 skus'": ["list", "--search", "499 skus", "-n", "50"],
}


def measure(mpo: str, args: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `runs` runs of `mpo ARGS`, after one warm-up."""
    walls, cpus = [], []
    for n in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([mpo, *args], env=env, capture_output=True, text=True,
                              check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            sys.exit(f"mpo {' '.join(args)} failed: {done.stderr.strip()}")
        if n:
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def cursor(mpo: str, env: dict[str, str]) -> str:
    done = subprocess.run([mpo, "list", "-n", "50", "--page", "--jsonl", "--fields", "id"],
                          env=env, capture_output=True, text=True, check=True)
    last = done.stdout.strip().splitlines()[-1]
    return last.split('"')[3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    mpo = shutil.which("mpo", path=str(Path(sys.executable).parent)) or shutil.which("mpo")
    if mpo is None:
        sys.exit("the mpo console script is not installed (pip install -e '.[test]')")
    files = {size: sqlite_file(size) for size in (1_000, args.tasks)}
    results: dict[int, dict[str, tuple[float, float]]] = {}
    for size, path in files.items():
        url = f"sqlite:///{path}"
        home = tempfile.mkdtemp(prefix="mpo-bench-list-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")}
        env |= {"HOME": home, "XDG_CONFIG_HOME": home, "MPO_DATABASE_URL": url,
                "MPO_TOKEN": viewer_token(url)}
        commands = dict(LISTS, **SEARCHES)
        commands["page 2 (--after)"] = ["list", "-n", "50", "--after", cursor(mpo, env)]
        results[size] = {name: measure(mpo, argv, env, args.runs)
                         for name, argv in commands.items()}
        shutil.rmtree(home, ignore_errors=True)
    small, large = results[1_000], results[args.tasks]
    print(f"mpo list, median of {args.runs} runs, seconds (wall / cpu); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'command':<36}{'1,000':>13}{f'{args.tasks:,}':>15}{'ratio wall':>12}"
          f"{'ratio cpu':>11}  target <= 1.2x")
    for name in results[1_000]:
        (w1, c1), (w2, c2) = small[name], large[name]
        verdict = "" if name.startswith("search") else (
            "met" if w2 / w1 <= 1.2 else "MISSED")
        print(f"{name:<36}{w1:>7.3f}/{c1:.3f}{w2:>9.3f}/{c2:.3f}{w2 / w1:>12.2f}"
              f"{c2 / c1:>11.2f}  {verdict}")


if __name__ == "__main__":
    main()

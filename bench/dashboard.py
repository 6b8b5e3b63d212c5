"""Benchmark `mpo dashboard`'s refresh on a year of work (1,000,000 tasks by default).

Generates the database with bench/stats.py's generator, then times, in-process, what the
dashboard does every tick (the change marker) and after a change (the snapshot), and the
HTML report's two histograms. Prints figures and ratios; asserts nothing.

    python bench/dashboard.py                        # generate /tmp/mpo-bench-dashboard.db
    python bench/dashboard.py --reuse                # time the existing file again
    python bench/dashboard.py --tasks 100000 --db /tmp/small.db
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("bench_stats", Path(__file__).with_name(
        "stats.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(label: str, fn: Callable[[], object], runs: int) -> float:
    """The median wall time of `runs` calls, printed in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(f"  {label:<34} median {median * 1000:8.2f} ms   (min {min(times) * 1000:.2f}, "
          f"{runs} runs)")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--db", default="/tmp/mpo-bench-dashboard.db")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{args.db}"
    bench = _generator()
    if not args.reuse:
        path = Path(args.db)
        if "://" not in args.db and path.exists():
            path.unlink()
        print(f"generating {args.tasks:,} tasks in {url}")
        bench.generate(url, args.tasks, args.seed)

    from mpo.core.domain.permissions import Actor, Role
    from mpo.core.usecases.dashboard import marker, snapshot
    from mpo.core.usecases.distributions import histograms
    from mpo.store.database import SqlDatabase

    db = SqlDatabase(url)
    actor = Actor("bench", Role.ADMIN)
    first, last, n = bench.span(url)
    print(f"{n:,} tasks, {first:%Y-%m-%d} .. {last:%Y-%m-%d}")
    tick = timed("marker (every tick)", lambda: marker(db, actor), 50)
    shot = timed("snapshot (after a change)", lambda: snapshot(db, actor), 5)
    week = timed("histograms, last 7 days", lambda: histograms(
        db, actor, last - timedelta(days=7), last), 3)
    year = timed("histograms, whole year", lambda: histograms(db, actor, first, last), 3)
    print(f"snapshot / marker: {shot / tick:,.0f}x; a 2 s tick with no change costs "
          f"{tick / 2 * 100:.3f}% of one core")
    print(f"histograms year / week: {year / week:,.1f}x")


if __name__ == "__main__":
    main()

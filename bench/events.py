"""What the event stream costs a write, and what loading plugins costs a command.

A write is `create_tasks` with one task per transaction (the agent's common case). Three
variants, run in alternating rounds so machine load hits them alike:

- `bare`: the stream's additions switched off (PostgreSQL: the trigger taking the append
  lock and queueing the NOTIFY, disabled), nobody listening;
- `stream`: as shipped (SQLite has nothing extra);
- `stream+listener`: as shipped while a reader waits in another thread (PostgreSQL: LISTEN;
  SQLite: polling PRAGMA data_version every 0.1 s).

Prints the median milliseconds per write and the ratios to `bare`, then the time to load
the plugin manager (an entry-point scan) and `mpo --help`'s import count of pluggy. No
assertions: compare before and after a change.

    python bench/events.py [--writes N] [--rounds R] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from mpo.core.create import create_tasks
from mpo.core.permissions import Actor, Role
from mpo.core.validation import Rules
from mpo.store.database import SqlDatabase
from mpo.store.migrate import upgrade

ADMIN = Actor("ana", Role.ADMIN)
TASK = {"marketplace": "amazon", "title": "bench", "category": "analysis",
        "estimated_hours": 1, "created_by": "marketplace-amazon"}


def _trigger(db: SqlDatabase, state: str) -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE task_event {state} TRIGGER task_event_order")


@contextmanager
def bare(db: SqlDatabase) -> Iterator[None]:
    """The stream's write-side additions (PostgreSQL's append lock and NOTIFY, a trigger)
    switched off; SQLite has none."""
    _trigger(db, "DISABLE")
    try:
        yield
    finally:
        _trigger(db, "ENABLE")


@contextmanager
def listener(db: SqlDatabase) -> Iterator[None]:
    """A reader waiting on the stream in another thread, as `mpo wait` does."""
    stop = threading.Event()
    woken = [0]

    def listen() -> None:
        with db.waker() as waker:
            while not stop.is_set():
                woken[0] += waker.wait(0.2)

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    time.sleep(0.3)
    try:
        yield
    finally:
        stop.set()
        thread.join()


def writes(db: SqlDatabase, count: int) -> float:
    """Milliseconds per create, median of `count`."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        create_tasks(db, ADMIN, [("task", TASK)], Rules())
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def variants(db: SqlDatabase) -> dict[str, Callable[[], AbstractContextManager[None]]]:
    return {"bare": lambda: bare(db), "stream": nullcontext,
            "stream+listener": lambda: listener(db)}


def concurrent(db: SqlDatabase, count: int, threads: int) -> float:
    """Writes per second with `threads` writers at once (PostgreSQL: the append lock
    serialises the tail of each write)."""
    started = time.perf_counter()
    workers = [threading.Thread(target=writes, args=(db, count)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return count * threads / (time.perf_counter() - started)


def bench(name: str, url: str, count: int, rounds: int) -> None:
    upgrade(url)
    db = SqlDatabase(url)
    writes(db, 10)  # warm-up
    results: dict[str, list[float]] = {}
    for _ in range(rounds):
        for label, make in variants(db).items():
            with make():
                results.setdefault(label, []).append(writes(db, count))
    base = statistics.median(results["bare"])
    for label, values in results.items():
        median = statistics.median(values)
        print(f"{name:10} {label:16} {median:7.2f} ms/write   ratio {median / base:5.2f}")
    if name == "postgresql":
        rates: dict[str, list[float]] = {}
        for _ in range(rounds):
            for label, make in (("bare", lambda: bare(db)), ("stream", nullcontext)):
                with make():
                    rates.setdefault(label, []).append(concurrent(db, count // 2, 4))
        base = statistics.median(rates["bare"])
        for label, values in rates.items():
            rate = statistics.median(values)
            print(f"{name:10} 4 writers {label:7} {rate:7.1f} writes/s   ratio {rate / base:5.2f}")


def plugin_costs() -> None:
    started = time.perf_counter()
    from mpo.delivery import plugins

    plugins.manager()
    took = (time.perf_counter() - started) * 1000
    print(f"plugin manager (import pluggy + entry-point scan): {took:.1f} ms, once per process")
    code = ("import sys; from mpo.cli.app import main\ntry: main(['--help'])\n"
            "except SystemExit: pass\nprint('pluggy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    print(f"mpo --help imports pluggy: {done.stdout.strip().splitlines()[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.writes, args.rounds)
    if args.postgres:
        bench("postgresql", args.postgres, args.writes, args.rounds)
    plugin_costs()


if __name__ == "__main__":
    main()

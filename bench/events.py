"""What the event stream costs a write, and what loading plugins costs a command.

A write is `create_tasks` with one task per transaction (the agent's common case). Three
variants, run in rounds that each start with another variant, so machine load hits them
alike:

- `bare`: the stream's additions switched off (PostgreSQL: the statement trigger that takes
  the floor lock, disabled; the store's NOTIFY after the commit is sent all the same),
  nobody listening;
- `stream`: as shipped (SQLite has nothing extra);
- `stream+listener`: as shipped while a reader waits in another thread (PostgreSQL: LISTEN,
  and the event horizon read before each wait; SQLite: polling PRAGMA data_version every
  0.1 s).

Prints the median (over rounds) of each round's median milliseconds per write and the
ratio to `bare` (stream/bare); on PostgreSQL also the throughput of 4 concurrent writers
with and without the trigger, and its ratio, with one connection per write (as the CLI)
and with a pool (as `mpo serve`). Then the time to load
the plugin manager (an entry-point scan) and `mpo --help`'s import count of pluggy. And the
latency `mpo wait` promises (a second): the time from a decision's commit in another
connection to the end of a `wait_for` on that task, median and worst of `--wakes`. No
assertions (the tests check only that a wait is woken by the change, not how fast):
compare before and after a change.

    python bench/events.py [--writes N] [--rounds R] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.validation import Rules
from mpo.core.usecases import identity
from mpo.core.usecases.create import create_tasks
from mpo.store.database import SqlDatabase
from mpo.store.migrate import upgrade

ADMIN = Actor("ana", Role.ADMIN)
#: Who approves the waits' tasks (nobody approves what they made).
APPROVER = Actor("root", Role.ADMIN)
TASK = {"marketplace": "amazon", "title": "bench", "category": "analysis",
        "estimated_hours": 1, "created_by": "marketplace-amazon"}


def _agent(db: SqlDatabase) -> None:
    """The agent the bench's tasks are created for (`created_by` must name an active one)."""
    with db.read() as uow:
        known = uow.principals.by_name(TASK["created_by"]) is not None
    if not known:
        identity.add_principal(db, ADMIN, str(TASK["created_by"]), "agent", "amazon", Rules())


def _trigger(db: SqlDatabase, state: str) -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE task_event {state} TRIGGER task_event_order")


@contextmanager
def bare(db: SqlDatabase) -> Iterator[None]:
    """The stream's write-side addition (PostgreSQL's floor lock, a trigger)
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
    """Writes per second with `threads` writers at once."""
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
    _agent(db)
    writes(db, 10)  # warm-up
    results: dict[str, list[float]] = {}
    order = list(variants(db).items())
    for round_ in range(rounds):
        # Each round starts with another variant, so none always runs first (or last).
        shift = round_ % len(order)
        for label, make in order[shift:] + order[:shift]:
            with make():
                results.setdefault(label, []).append(writes(db, count))
    base = statistics.median(results["bare"])
    for label in variants(db):
        median = statistics.median(results[label])
        print(f"{name:10} {label:16} {median:7.2f} ms/write   ratio {median / base:5.2f}")
    if name == "postgresql":
        # Concurrent writers: one connection per write (as CLI processes), and a pool (as
        # `mpo serve`), where a lock held to commit would show most.
        for how, engine_db in (("4 writers", db), ("4 pooled", SqlDatabase.shared(url))):
            rates: dict[str, list[float]] = {}
            pair: list[tuple[str, Callable[[], AbstractContextManager[None]]]] = [
                ("bare", lambda: bare(db)), ("stream", nullcontext)]
            concurrent(engine_db, 5, 4)  # warm-up (the pool's connections)
            for round_ in range(rounds):
                for label, make in pair if round_ % 2 == 0 else pair[::-1]:
                    with make():
                        rates.setdefault(label, []).append(concurrent(engine_db, count // 2, 4))
            base = statistics.median(rates["bare"])
            for label, _ in pair:
                rate = statistics.median(rates[label])
                print(f"{name:10} {how} {label:6} {rate:7.1f} writes/s   "
                      f"ratio {rate / base:5.2f}")
            engine_db.engine.dispose()


def wake_latency(name: str, url: str, count: int) -> None:
    """Seconds from an approval's commit to the end of a wait for its decision."""
    from mpo.core.domain.vocabulary import Action
    from mpo.core.usecases.decisions import decide, seed_params
    from mpo.core.usecases.waiting import Goal, wait_for

    db, rules = SqlDatabase(url), Rules()
    delays = []
    for _ in range(count):
        made = create_tasks(db, ADMIN, [("task", TASK)], rules, submit=True)
        task_id = str(made.tasks[0].task.id)
        decided: list[float] = []

        def approve(task_id: str = task_id, decided: list[float] = decided) -> None:
            time.sleep(0.2)
            decide(SqlDatabase(url), APPROVER, Action.APPROVE, [task_id],
                   seed_params(rules, Action.APPROVE, None), rules)
            decided.append(time.monotonic())

        with db.waker() as waker:
            other = threading.Thread(target=approve)
            other.start()
            wait_for(db, ADMIN, waker, [task_id], Goal.DECIDED, 30)
            ended = time.monotonic()
            other.join()
        delays.append(ended - decided[0])
    print(f"{name:10} wait woken by a decision: median {statistics.median(delays):.3f} s, "
          f"worst {max(delays):.3f} s of {count} (promised: within a second); "
          f"load {os.getloadavg()[0]:.2f}")


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
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    parser.add_argument("--wakes", type=int, default=20, help="waits timed per database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite:///{Path(tmp) / 'bench.db'}"
        bench("sqlite", sqlite, args.writes, args.rounds)
        wake_latency("sqlite", sqlite, args.wakes)
    if args.postgres:
        bench("postgresql", args.postgres, args.writes, args.rounds)
        wake_latency("postgresql", args.postgres, args.wakes)
    plugin_costs()


if __name__ == "__main__":
    main()

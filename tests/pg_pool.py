"""PostgreSQL databases made ahead of need: a test never waits for CREATE or DROP DATABASE.

A test that wants a fresh database (empty, or a copy of the migrated template) gets one that
a thread of its test process made while earlier tests ran, renamed to the test's own name
(`ALTER DATABASE ... RENAME`, milliseconds); the databases tests are done with are dropped by
the same thread. CREATE DATABASE is 0.15-1 s and DROP up to 0.4 s on a busy machine: a
PostgreSQL test paid both twice, and they were most of its time (issue 26). The databases
are the same as before, made the same way: only when they are made changed.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import queue
import threading
import uuid
from typing import Any

#: The `kind` of an empty database (a copy of template1, as plain CREATE DATABASE makes).
EMPTY = ""
#: How many databases of each kind are kept ready.
READY = 2
#: Drops waiting beyond this are done by the test itself, as before the pool: a server that
#: cannot keep up never leaves a backlog for the end of the run.
BEHIND = 4
_PREFIX = f"mpo_pool_{os.getpid()}_{uuid.uuid4().hex[:6]}"


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1),
                           autocommit=True, connect_timeout=5)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Pool:
    """Ready databases on one server, by kind (EMPTY or a template's name)."""

    def __init__(self, base: str) -> None:
        self._base = base
        self.pid = os.getpid()  # a forked child has no thread: it makes its own pool
        self._ready: dict[str, list[str]] = {}
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()
        self._work: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._names = itertools.count()
        self._thread = threading.Thread(target=self._run, name="pg-pool", daemon=True)
        self._thread.start()

    def take(self, kind: str, name: str) -> None:
        """Database `name` exists, fresh, of `kind`, when this returns."""
        with self._lock:
            ready = self._ready.setdefault(kind, [])
            made = ready.pop() if ready else None
            wanted = READY - len(ready) - self._pending.get(kind, 0)
            self._pending[kind] = self._pending.get(kind, 0) + max(wanted, 0)
        for _ in range(wanted):
            self._work.put(("make", kind))
        with _connect(f"{self._base}/postgres") as conn:
            if made is not None:
                conn.execute(f"ALTER DATABASE {_quoted(made)} RENAME TO {_quoted(name)}")
            else:  # nothing ready yet (the first of its kind, or the thread is behind)
                conn.execute(_create(kind, name))

    def discard(self, name: str) -> None:
        """Drop database `name` (ending its sessions) soon, off the test's path."""
        if self._work.qsize() < BEHIND:
            self._work.put(("drop", name))
            return
        with _connect(f"{self._base}/postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")

    def close(self) -> None:
        """Finish the drops asked for, and drop the databases nobody took."""
        self._work.put(None)
        self._thread.join(timeout=120)
        with self._lock:
            left = [name for ready in self._ready.values() for name in ready]
            self._ready.clear()
        while not self._work.empty():  # what a thread that did not finish left
            work = self._work.get_nowait()
            if work is not None and work[0] == "drop":
                left.append(work[1])
        with _connect(f"{self._base}/postgres") as conn:
            for name in left:
                conn.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")

    def _run(self) -> None:
        import psycopg

        with _connect(f"{self._base}/postgres") as conn:
            while (work := self._work.get()) is not None:
                what, target = work
                if what == "drop":
                    with contextlib.suppress(psycopg.Error):  # the run goes on
                        conn.execute(f"DROP DATABASE IF EXISTS {_quoted(target)} WITH (FORCE)")
                    continue
                name = f"{_PREFIX}_{next(self._names)}"
                try:
                    conn.execute(_create(target, name))
                except psycopg.Error:
                    name = ""  # take() then makes its own, as before the pool
                with self._lock:
                    self._pending[target] -= 1
                    if name:
                        self._ready[target].append(name)


def _create(kind: str, name: str) -> str:
    template = f" TEMPLATE {_quoted(kind)}" if kind else ""
    return f"CREATE DATABASE {_quoted(name)}{template}"


_pools: dict[str, Pool] = {}


def pool(base: str) -> Pool:
    """The pool for the server at `base` (a URL without the database name)."""
    if base not in _pools or _pools[base].pid != os.getpid():
        _pools[base] = Pool(base)
    return _pools[base]


def fresh(url: str, kind: str = EMPTY) -> None:
    """Make the database `url` names, fresh, of `kind`."""
    base, _, name = url.rpartition("/")
    pool(base).take(kind, name)


def discard(url: str) -> None:
    """Drop the database `url` names, soon."""
    base, _, name = url.rpartition("/")
    pool(base).discard(name)


def close() -> None:
    """Every pool's drops done and its unused databases dropped (at the session's end)."""
    while _pools:
        found = _pools.popitem()[1]
        if found.pid == os.getpid():  # never a parent's pool, from a forked child
            found.close()


atexit.register(close)

"""Waking stream readers when events may have been committed.

PostgreSQL: a dedicated autocommit connection LISTENs on the channel every commit with
events NOTIFYs; waiting costs nothing until a notification arrives. Reads stop at the event
horizon (store/stream.py), so a reader may have left committed events behind an open
transaction; if that transaction commits it notifies, but a rollback notifies nobody. So
before it blocks the waker reads the horizon too: if it moved since the waker last returned
(the reader's read may have stopped below it), it returns at once; while open transactions
hold ids below the newest, it looks again every `HELD_POLL_S` seconds and returns when the
horizon moves. SQLite: a dedicated connection polls `PRAGMA data_version`, which changes
when any other connection commits, every `POLL_S` seconds: one cheap in-memory read, no
table scan.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mpo.store.stream import CHANNEL, HORIZON

if TYPE_CHECKING:
    from sqlalchemy import Engine

POLL_S = 0.1
#: PostgreSQL: how often a waker looks at the horizon while open transactions hold ids.
HELD_POLL_S = 0.1


class ListenWaker:
    """Waits for a NOTIFY on the events channel, or for the event horizon to move
    (PostgreSQL)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        connection.execute(f"LISTEN {CHANNEL}")
        # Read before the reader's first read: it can only be lower than that read's.
        self.settled = self._horizon()[0]

    def _horizon(self) -> tuple[int, int]:
        settled, allocated = self.connection.execute(HORIZON).fetchone()
        return int(settled), int(allocated)

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            settled, allocated = self._horizon()
            if settled != self.settled:
                # Events may have settled above where the reader's last read stopped.
                self.settled = settled
                return True
            # Settled up to the newest id: whatever commits next notifies. Otherwise an
            # open transaction may roll back, which notifies nobody: look again soon.
            left = max(deadline - time.monotonic(), 0.0)
            if self._notified(left if settled >= allocated else min(HELD_POLL_S, left)):
                self.settled = self._horizon()[0]
                return True
            if time.monotonic() >= deadline:
                return False

    def _notified(self, timeout: float) -> bool:
        # Leave the generator before the next query: it holds the connection's lock.
        return any(True for _ in self.connection.notifies(timeout=timeout, stop_after=1))


class PollWaker:
    """Polls SQLite's data version, which moves when another connection commits."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.version = self._version()

    def _version(self) -> int:
        return int(self.connection.execute("PRAGMA data_version").fetchone()[0])

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            version = self._version()
            if version != self.version:
                self.version = version
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(POLL_S, left))


@contextmanager
def waker(engine: Engine) -> Iterator[ListenWaker | PollWaker]:
    """A waker on its own connection, listening from the moment it is made."""
    raw = engine.raw_connection()
    postgres = engine.dialect.name == "postgresql"
    try:
        connection = raw.driver_connection
        assert connection is not None
        if postgres:
            connection.autocommit = True
            yield ListenWaker(connection)
        else:
            yield PollWaker(connection)
    finally:
        if postgres:
            # Closed, never back to a pool: autocommit and LISTEN would stay with it, and
            # the next unit of work's `mpo_authenticate` (bound to its transaction) would
            # bind nothing, every statement committing on its own.
            raw.invalidate()
        raw.close()

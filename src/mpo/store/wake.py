"""Waking stream readers when events may have been committed.

PostgreSQL: a dedicated autocommit connection LISTENs on the channel the unit of work
NOTIFYs; waiting costs nothing until a notification arrives. SQLite: a dedicated
connection polls `PRAGMA data_version`, which changes when any other connection commits,
every `POLL_S` seconds: one cheap in-memory read, no table scan.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mpo.store.stream import CHANNEL

if TYPE_CHECKING:
    from sqlalchemy import Engine

POLL_S = 0.1


class ListenWaker:
    """Waits for a NOTIFY on the events channel (PostgreSQL)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        connection.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> bool:
        for _ in self.connection.notifies(timeout=max(timeout, 0.0), stop_after=1):
            return True
        return False


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

"""Waking stream readers when events may have been committed.

PostgreSQL: a dedicated autocommit connection LISTENs on the channel that the store
NOTIFYs after every commit with events (store/announce.py); waiting costs nothing until a
notification arrives. Reads stop at the event horizon (store/stream.py), so a read may
leave committed events behind a transaction still open: if it commits, it notifies; if it
rolls back, it notifies nobody. So when the reader's latest read (`Seen`, kept by the
database object both come from) stopped below the newest id, the waker also looks at the
horizon every `HELD_POLL_S` seconds and returns once it has moved past that read's. After a
read that reached the newest id, whatever commits later notifies (LISTEN began before the
first read); the waker looks at the horizon every `QUIET_POLL_S` all the same, for a
commit whose NOTIFY never came. SQLite: a
dedicated connection polls `PRAGMA data_version`, which changes when any other connection
commits, every `POLL_S` seconds: one cheap in-memory read, no table scan.

A LISTEN connection that drops (a server restart, `pg_terminate_backend`, a network cut)
is made again and LISTENs again, and the waker wakes its reader, which reads again from its
cursor: whatever committed while nobody listened is read then, nothing is lost. It tries
for as long as the wait had left (at least `RECONNECT_S`), then says the database is
unavailable.

A waker made with `ended` (a server's event stream: its client left, the server is
stopping) looks at it every `POLL_S` seconds while it waits, and returns False once it is
true: the stream's thread is free within that, not at its next keep-alive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mpo.core.domain.errors import DatabaseError
from mpo.store.stream import CHANNEL, HORIZON

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mpo.store.unit_of_work import Seen

POLL_S = 0.1
#: PostgreSQL: how often a waker looks at the horizon after a read held back by an open
#: transaction (which may roll back without a word).
HELD_POLL_S = 0.1
#: PostgreSQL: how often a waker whose read reached the newest id looks at the horizon all
#: the same: a commit whose NOTIFY never went out (its process died between the two, or it
#: wrote events past mpo's store) still wakes readers this soon.
QUIET_POLL_S = 1.0
#: PostgreSQL: how long a waker whose connection dropped tries to listen again, at least.
RECONNECT_S = 30.0


class ListenWaker:
    """Waits for a NOTIFY on the events channel, or, after a read held back by an open
    transaction, for the event horizon to move (PostgreSQL)."""

    def __init__(self, connect: Callable[[], Any], seen: Seen,
                 ended: Callable[[], bool] | None = None) -> None:
        self.connect = connect
        self.seen = seen
        self.ended = ended
        self.connection = self._listen()

    def _listen(self) -> Any:
        connection = self.connect()
        connection.execute(f"LISTEN {CHANNEL}")
        return connection

    def wait(self, timeout: float) -> bool:
        import psycopg

        try:
            return self._wait(timeout)
        except (psycopg.OperationalError, psycopg.InterfaceError):
            self._reconnect(max(timeout, RECONNECT_S))
            self.seen.last = None  # nothing is known of what committed meanwhile
            return True

    def _reconnect(self, patience: float) -> None:
        """Listen again on a new connection, trying for `patience` seconds."""
        import psycopg

        deadline, pause = time.monotonic() + patience, 0.1
        while True:
            try:
                self.connection = self._listen()
                return
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                if time.monotonic() + pause > deadline:
                    raise DatabaseError(f"the event stream's connection dropped and could "
                                        f"not be made again: {exc}") from None
                time.sleep(pause)
                pause = min(pause * 2, 5.0)

    def _wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + max(timeout, 0.0)
        read = self.seen.last
        if read is None:
            return self._notified(max(timeout, 0.0))
        held = read[0] < read[1]
        while True:
            left = max(deadline - time.monotonic(), 0.0)
            if self._notified(min(HELD_POLL_S if held else QUIET_POLL_S, left)):
                return True
            if self.ended is not None and self.ended():
                return False
            settled, allocated = self.connection.execute(HORIZON).fetchone()
            # Held: the transaction that held the read back has ended, maybe rolled back.
            # Not held: an id was drawn since, and its commit's NOTIFY may never come.
            if (settled != read[0]) if held else (allocated != read[1]):
                # Until the reader reads again, wait from here (not from its old read).
                self.seen.last = (int(settled), int(allocated))
                return True
            if time.monotonic() >= deadline:
                return False

    def _notified(self, timeout: float) -> bool:
        if self.ended is None:
            return self._heard(timeout)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if self._heard(min(POLL_S, max(left, 0.0))):
                return True
            if left <= POLL_S or self.ended():
                return False

    def _heard(self, timeout: float) -> bool:
        # Leave the generator before any query: it holds the connection's lock.
        return any(True for _ in self.connection.notifies(timeout=timeout, stop_after=1))


class PollWaker:
    """Polls SQLite's data version, which moves when another connection commits."""

    def __init__(self, connection: Any, ended: Callable[[], bool] | None = None) -> None:
        self.connection = connection
        self.ended = ended
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
            if left <= 0 or (self.ended is not None and self.ended()):
                return False
            time.sleep(min(POLL_S, left))


@contextmanager
def waker(engine: Engine, seen: Seen, ended: Callable[[], bool] | None = None
          ) -> Iterator[ListenWaker | PollWaker]:
    """A waker on its own connection, listening from the moment it is made; `ended`: when
    true, a wait returns False within `POLL_S`."""
    opened: list[Any] = []
    postgres = engine.dialect.name == "postgresql"

    def connect() -> Any:
        raw = engine.raw_connection()
        opened.append(raw)
        connection = raw.driver_connection
        assert connection is not None
        if postgres:
            connection.autocommit = True
        return connection

    try:
        yield ListenWaker(connect, seen, ended) if postgres else PollWaker(connect(), ended)
    finally:
        for raw in opened:
            if postgres:
                # Closed, never back to a pool: autocommit and LISTEN would stay with it,
                # and the next unit of work's `mpo_authenticate` (bound to its
                # transaction) would bind nothing, every statement committing on its own.
                raw.invalidate()
            raw.close()

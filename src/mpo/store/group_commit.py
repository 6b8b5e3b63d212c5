"""Group commit for a server's SQLite writes: one fsync for many units of work.

With synchronous=FULL every COMMIT waits for the disk, and SQLite has one writer at a
time, so a server committing each request alone is capped by the disk's fsync rate (about
80/s on a busy machine). Here the server's threads take turns on one write transaction:
each unit of work runs in a SAVEPOINT of it (its own atomicity: an error rolls back to the
savepoint only), and the transaction commits when no other writer is queued, or after
`MAX_GROUP` units. A unit returns only once the COMMIT holding it is on disk, so nothing is
acknowledged before it is durable; if that COMMIT fails, every unit in it fails.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlmodel import Session

from mpo.core.domain.errors import DatabaseError
from mpo.store.engine import WRITE

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, RootTransaction

MAX_GROUP = 64
#: Set in a session's `info` by the unit of work's commit().
COMMITTED = "mpo_committed"


class GroupCommit:
    """Serialises a process's writers on one SQLite write transaction, committed in groups."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._turn = threading.Lock()
        self._state = threading.Condition()
        self._queued = 0
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._group = 0
        self._size = 0
        self._outcome: dict[int, BaseException | None] = {}

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """A session in a savepoint of the current group; waits for the group's COMMIT if
        the unit committed."""
        with self._state:
            self._queued += 1
        self._turn.acquire()
        committed = False
        try:
            with self._state:
                self._queued -= 1
            if self._connection is None:
                connection = self.engine.connect().execution_options(**{WRITE: True})
                try:
                    self._transaction = connection.begin()  # BEGIN IMMEDIATE
                except BaseException:
                    connection.close()
                    raise
                self._connection = connection
                self._group, self._size = self._group + 1, 0
            group = self._group
            session = Session(self._connection, join_transaction_mode="create_savepoint",
                              expire_on_commit=False, autoflush=True)
            try:
                yield session
            finally:
                session.close()  # rolls back to the savepoint unless committed
                committed = bool(session.info.get(COMMITTED))
                self._size += committed
                if self._size >= MAX_GROUP or not self._queued:
                    self._finish()
        finally:
            self._turn.release()
        if committed:
            self._wait(group)

    def _finish(self) -> None:
        assert self._connection is not None and self._transaction is not None
        error: BaseException | None = None
        try:
            self._transaction.commit()
        except Exception as exc:  # every unit of the group learns it, below
            error = exc
        finally:
            self._connection.close()
            self._connection = self._transaction = None
        with self._state:
            self._outcome[self._group] = error
            self._outcome.pop(self._group - 1000, None)
            self._state.notify_all()

    def _wait(self, group: int) -> None:
        with self._state:
            while group not in self._outcome:
                self._state.wait()
            error = self._outcome[group]
        if error is not None:
            raise DatabaseError(f"database commit failed: {error}") from error

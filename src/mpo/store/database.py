"""The store's database: units of work (`store/unit_of_work.py`) on one engine, each one
transaction, with driver errors translated once (`store/driver_errors.py`) and the schema
checked on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlmodel import Session

from mpo.config import urls
from mpo.core.domain.errors import DatabaseError
from mpo.store.driver_errors import translated
from mpo.store.engine import WRITE, make_engine
from mpo.store.file_watch import FileWatch
from mpo.store.group_commit import GroupCommit
from mpo.store.migrations import HEAD
from mpo.store.unit_of_work import AfterCommit, Seen, SqlUnitOfWork

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mpo.store.wake import ListenWaker, PollWaker


class SqlDatabase:
    """The store's `mpo.core.ports.Database`: opens units of work on one engine.

    With a `token`, every PostgreSQL transaction first authenticates it inside the database,
    which is what the row-level-security policies read (see docs/security.md).

    With a `listen_url` (PostgreSQL), `url` is a connection pooler in transaction mode
    (PgBouncer): its transactions prepare no statements, and wakers LISTEN on a connection
    of their own to `listen_url`, the database itself, since a pooler hands each
    transaction any server connection and a LISTEN would hear nothing after it ended.
    """

    def __init__(self, url: str, engine: Engine | None = None, token: str | None = None,
                 *, listen_url: str | None = None) -> None:
        self.url = urls.normalise(url)
        self.listen_url = (urls.normalise(listen_url)
                           if listen_url and not urls.is_sqlite(self.url) else None)
        self.engine = engine if engine is not None else make_engine(
            self.url, behind_pooler=self.listen_url is not None)
        self.token = token
        self._listen_engine: Engine | None = None
        self.after_commit: list[AfterCommit] = []
        #: What `attach` was given, so that `acting` copies attach the same consumers.
        self._consumers: list[Callable[[SqlDatabase], AfterCommit]] = []
        #: What this object's latest stream read saw, for its waker (one reader each).
        self.seen = Seen()
        self._schema_checked = False
        self._group: GroupCommit | None = None
        #: A long-lived server's SQLite file, checked before writes (see file_watch.py).
        self._file: FileWatch | None = None
        #: `acting(carry=True)`: the first unit, left open for the next (see `acting`).
        self._carry = False
        self._carried: SqlUnitOfWork | None = None
        self._hand = threading.Lock()

    @classmethod
    def shared(cls, url: str, *, listen_url: str | None = None) -> SqlDatabase:
        """A database for a long-lived server: pooled connections, the schema checked now,
        and on SQLite its threads' writes committed in groups (see `group_commit`): they
        queue on a lock instead of polling SQLite's busy handler, and share fsyncs."""
        url = urls.normalise(url)
        pooler = bool(listen_url) and not urls.is_sqlite(url)
        database = cls(url, make_engine(url, pooled=True, behind_pooler=pooler),
                       listen_url=listen_url)
        if urls.is_sqlite(url):
            database._group = GroupCommit(database.engine)
        with database.read():
            pass
        path = urls.sqlite_path(url) if urls.is_sqlite(url) else None
        if path is not None:
            database._file = FileWatch(path)
        return database

    def attach(self, consumer: Callable[[SqlDatabase], AfterCommit]) -> None:
        """Hand events this database (and each `acting` copy) commits to what `consumer`
        makes of it: the copy's consumer reads with the copy's own credential."""
        self._consumers.append(consumer)
        self.after_commit.append(consumer(self))

    def acting(self, token: str, carry: bool = False) -> SqlDatabase:
        """This database, on the same engine, acting with `token` (one request's).

        `carry` (PostgreSQL): the first unit of work, once left without error or commit,
        stays open and the next unit continues its transaction, already authenticated.
        A server's request then runs one transaction and one `mpo_authenticate`, not one
        to learn who calls and another for the use case. `release()` ends a unit nobody
        took."""
        database = SqlDatabase(self.url, self.engine, token, listen_url=self.listen_url)
        if self.listen_url is not None:
            database._listen_engine = self._listener()  # one for the server, not per request
        database._carry = carry and not urls.is_sqlite(self.url)
        database._schema_checked = self._schema_checked
        database._group = self._group
        database._file = self._file
        for consumer in self._consumers:
            database.attach(consumer)
        return database

    def _session(self, write: bool) -> AbstractContextManager[Session]:
        if write and self._group is not None:
            return self._group.unit()
        bind = self.engine.execution_options(**{WRITE: write})
        return nullcontext(Session(bind, expire_on_commit=False, autoflush=True))

    @contextmanager
    def _unit(self, write: bool) -> Iterator[SqlUnitOfWork]:
        carried = self._take()
        if carried is not None:
            with translated(self.url):
                try:
                    yield carried
                finally:
                    carried.session.close()
            return
        if write and self._file is not None:
            self._file.check()
        carry, self._carry = self._carry, False
        with translated(self.url), self._session(write) as session:
            if not self._schema_checked:
                self._check_schema(session)
            uow = SqlUnitOfWork(session, self.after_commit, self.seen)
            if self.token is not None and uow.principals.postgres:
                uow.principals.authenticate(self.token)
            kept = False
            try:
                yield uow
                if carry and not uow.committed:
                    self._carried, kept = uow, True
            finally:
                if not kept:
                    # close() rolls back what was not committed and detaches the objects
                    # read, keeping their loaded values (rollback() would expire them).
                    session.close()

    def _take(self) -> SqlUnitOfWork | None:
        if self._carried is None:
            return None
        with self._hand:  # the request's thread, or `release` from another one
            carried, self._carried = self._carried, None
        return carried

    @property
    def holding(self) -> bool:
        """Whether a carried unit is still open (see `acting`)."""
        return self._carried is not None

    def release(self) -> None:
        """Roll back and close the carried unit, if nobody took it."""
        carried = self._take()
        if carried is not None:
            carried.session.close()

    def ready(self) -> None:
        """Raise `DatabaseError` unless the database answers, its schema is current and (a
        server's SQLite) its file is still the one opened."""
        if self._file is not None:
            self._file.check()
        with translated(self.url), Session(self.engine) as session:
            self._check_schema(session)

    def write(self) -> AbstractContextManager[SqlUnitOfWork]:
        """A unit of work that takes the write lock at BEGIN (SQLite: BEGIN IMMEDIATE)."""
        return self._unit(write=True)

    def read(self) -> AbstractContextManager[SqlUnitOfWork]:
        """A unit of work for reads: a plain BEGIN, never blocking writers."""
        return self._unit(write=False)

    def waker(self, ended: Callable[[], bool] | None = None
              ) -> AbstractContextManager[ListenWaker | PollWaker]:
        """Something to wait on until events may have been committed (see store/wake.py),
        or `ended` is true. Read the stream through this same object: the waker goes by
        what its reads saw."""
        from mpo.store.wake import waker

        return waker(self._listener(), self.seen, ended)

    def _listener(self) -> Engine:
        """The engine wakers connect with: the database itself when `url` is a pooler
        (no pool of its own: each waker's connection is closed when it is done)."""
        if self.listen_url is None:
            return self.engine
        if self._listen_engine is None:
            self._listen_engine = make_engine(self.listen_url)
        return self._listen_engine

    def _check_schema(self, session: Session) -> None:
        session.connection()  # a failure to connect is "unavailable", not "no schema"
        try:
            version = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except sa_exc.DatabaseError:
            version = None
        if version is None:
            raise DatabaseError(
                f"database {urls.redact(self.url)} has no mpo schema; run `mpo init`"
            )
        if version != HEAD:
            raise DatabaseError(
                f"database schema is at revision {version}, this mpo expects {HEAD}; "
                "run `mpo db upgrade` (or upgrade mpo, if the database is newer)"
            )
        self._schema_checked = True

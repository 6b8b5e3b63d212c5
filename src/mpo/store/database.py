"""Units of work over SQLAlchemy sessions, and the translation of driver errors.

One `SqlUnitOfWork` is one transaction; leaving it without `commit()` rolls back.
Driver errors become `mpo.core.errors` here, once, so no command handles them itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlmodel import Session

from mpo.config import urls
from mpo.core.errors import DatabaseError, PermissionDenied
from mpo.core.ports import DuplicateKey
from mpo.store.engine import BUSY_TIMEOUT_MS, WRITE, make_engine
from mpo.store.group_commit import COMMITTED, GroupCommit
from mpo.store.migrations import HEAD
from mpo.store.notifications import SqlNotificationLog
from mpo.store.principals import SqlPrincipalRepository
from mpo.store.repository import SqlTaskRepository

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mpo.core.models import Task, TaskEvent
    from mpo.store.audit_queries import SqlAuditQueries
    from mpo.store.dashboard_queries import SqlDashboardQueries
    from mpo.store.distribution_queries import SqlDistributions
    from mpo.store.history import SqlHistoryQueries
    from mpo.store.notifications import SqlNotificationLog
    from mpo.store.routing_state import SqlRoutingStore
    from mpo.store.stats_queries import SqlStatsQueries
    from mpo.store.status_queries import SqlStatusQueries
    from mpo.store.stream import SqlEventStream
    from mpo.store.subtasks import SqlSubtaskRepository
    from mpo.store.templates import SqlTemplateStore
    from mpo.store.transfer import SqlTransfer
    from mpo.store.wake import ListenWaker, PollWaker
    from mpo.store.webhooks import SqlWebhookRepository
    from mpo.store.workflow import SqlWorkflowStore



#: Called with the events a unit of work committed, once they are durable (hooks, plugins),
#: and their tasks as the transaction left them.
AfterCommit = Callable[[Sequence["TaskEvent"], Mapping[uuid.UUID, "Task"]], None]


class Seen:
    """The horizon (settled, allocated) of the latest stream read through one database
    object, for the waker opened from it (PostgreSQL; store/stream.py, store/wake.py): a
    read that stopped below the newest id (`settled < allocated`) was held back by an open
    transaction, whose rollback notifies nobody, so the waker then watches the horizon."""

    def __init__(self) -> None:
        self.last: tuple[int, int] | None = None


class SqlUnitOfWork:
    """One transaction and the repositories bound to it."""

    def __init__(self, session: Session, after_commit: Sequence[AfterCommit] = (),
                 seen: Seen | None = None) -> None:
        self.session = session
        self.tasks = SqlTaskRepository(session, keep_events=bool(after_commit))
        self.principals = SqlPrincipalRepository(session)
        self.after_commit = after_commit
        self.seen = seen
        self.committed = False

    @cached_property
    def stats(self) -> SqlStatsQueries:
        """The stats queries, imported only by the commands that read them."""
        from mpo.store.stats_queries import SqlStatsQueries

        return SqlStatsQueries(self.session)

    @cached_property
    def dashboard(self) -> SqlDashboardQueries:
        """The dashboard's reads. Imported only by the commands that use them."""
        from mpo.store.dashboard_queries import SqlDashboardQueries

        return SqlDashboardQueries(self.session)

    @cached_property
    def transfer(self) -> SqlTransfer:
        """Import and export. Imported only by the commands that use them."""
        from mpo.store.transfer import SqlTransfer

        return SqlTransfer(self.session)

    @cached_property
    def distributions(self) -> SqlDistributions:
        """The report's histograms. Imported only by the commands that use them."""
        from mpo.store.distribution_queries import SqlDistributions

        return SqlDistributions(self.session)

    @cached_property
    def history(self) -> SqlHistoryQueries:
        """Reads of past work (estimates, health, campaigns), imported only where used."""
        from mpo.store.history import SqlHistoryQueries

        return SqlHistoryQueries(self.session)

    @cached_property
    def subtasks(self) -> SqlSubtaskRepository:
        """Subtasks and their checkpoints. Imported only by the commands that use them."""
        from mpo.store.subtasks import SqlSubtaskRepository

        return SqlSubtaskRepository(self.session)

    @cached_property
    def audit(self) -> SqlAuditQueries:
        """Reads of the audit trail for undo and expiry, imported only where used."""
        from mpo.store.audit_queries import SqlAuditQueries

        return SqlAuditQueries(self.session)

    @cached_property
    def status(self) -> SqlStatusQueries:
        """The aggregates of `mpo status`, imported only where used."""
        from mpo.store.status_queries import SqlStatusQueries

        return SqlStatusQueries(self.session)

    @cached_property
    def routing(self) -> SqlRoutingStore:
        """Routing rules' shared state, imported only where used."""
        from mpo.store.routing_state import SqlRoutingStore

        return SqlRoutingStore(self.session)

    @cached_property
    def workflow(self) -> SqlWorkflowStore:
        """The custom workflow in force (read once per unit of work)."""
        from mpo.store.workflow import SqlWorkflowStore

        return SqlWorkflowStore(self.session)

    @cached_property
    def templates(self) -> SqlTemplateStore:
        """Task templates, imported only where used."""
        from mpo.store.templates import SqlTemplateStore

        return SqlTemplateStore(self.session)

    @cached_property
    def stream(self) -> SqlEventStream:
        """The audit log read as a stream, imported only where used."""
        from mpo.store.stream import SqlEventStream

        return SqlEventStream(self.session, self.seen)

    @cached_property
    def webhooks(self) -> SqlWebhookRepository:
        """Webhooks and their deliveries, imported only where used."""
        from mpo.store.webhooks import SqlWebhookRepository

        return SqlWebhookRepository(self.session)

    @cached_property
    def notifications(self) -> SqlNotificationLog:
        """Notifications sent, imported only where used."""
        from mpo.store.notifications import SqlNotificationLog

        return SqlNotificationLog(self.session)

    def commit(self) -> None:
        # On PostgreSQL, inserting events queued a NOTIFY (migrations 0010, 0011), sent when
        # this commit lands; the after-commit consumers run once it has.
        self.session.commit()
        self.committed = True
        self.session.info[COMMITTED] = True
        if not self.after_commit:
            return
        appended = self.tasks.committed_events()
        tasks, self.tasks.committed_tasks = self.tasks.committed_tasks, {}
        for consumer in self.after_commit if appended else ():
            consumer(appended, tasks)


@contextmanager
def translated(url: str) -> Iterator[None]:
    """Turn driver errors into mpo errors with their exit codes (6: busy/unavailable)."""
    try:
        yield
    except sa_exc.IntegrityError as exc:
        if "idempotency_key" in str(exc.orig):
            raise DuplicateKey(str(exc.orig)) from exc
        raise
    except sa_exc.OperationalError as exc:
        message = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if "locked" in message or "busy" in message:
            raise DatabaseError(
                "database is busy: another writer held the lock for more than "
                f"{BUSY_TIMEOUT_MS // 1000} s; try again"
            ) from exc
        # Only a missing table means "no schema"; PostgreSQL also says "does not exist"
        # of a missing database, which `mpo init` cannot create.
        if "no such table" in message or message.startswith("relation "):
            raise DatabaseError(
                f"database {urls.redact(url)} has no mpo schema; run `mpo init`"
            ) from exc
        raise DatabaseError(f"database unavailable ({urls.redact(url)}): {message}") from exc
    except sa_exc.ProgrammingError as exc:
        # PostgreSQL's guards and policies refused a write the core let through.
        if getattr(exc.orig, "sqlstate", None) != "42501":
            raise
        first = str(exc.orig).strip().splitlines()[0]
        raise PermissionDenied(f"the database refused: {first}") from exc
    except sa_exc.InterfaceError as exc:
        raise DatabaseError(f"database unavailable ({urls.redact(url)}): {exc.orig}") from exc
    except sa_exc.DatabaseError as exc:
        # The DB-API base class itself (its subclasses, such as ProgrammingError, are bugs):
        # SQLite's "file is not a database", "database disk image is malformed".
        if type(exc) is not sa_exc.DatabaseError:
            raise
        raise DatabaseError(f"database unavailable ({urls.redact(url)}): {exc.orig}") from exc


class SqlDatabase:
    """The store's `mpo.core.ports.Database`: opens units of work on one engine.

    With a `token`, every PostgreSQL transaction first authenticates it inside the database,
    which is what the row-level-security policies read (see docs/security.md).
    """

    def __init__(self, url: str, engine: Engine | None = None, token: str | None = None) -> None:
        self.url = urls.normalise(url)
        self.engine = engine if engine is not None else make_engine(self.url)
        self.token = token
        self.after_commit: list[AfterCommit] = []
        #: What `attach` was given, so that `acting` copies attach the same consumers.
        self._consumers: list[Callable[[SqlDatabase], AfterCommit]] = []
        #: What this object's latest stream read saw, for its waker (one reader each).
        self.seen = Seen()
        self._schema_checked = False
        self._group: GroupCommit | None = None

    @classmethod
    def shared(cls, url: str) -> SqlDatabase:
        """A database for a long-lived server: pooled connections, the schema checked now,
        and on SQLite its threads' writes committed in groups (see `group_commit`): they
        queue on a lock instead of polling SQLite's busy handler, and share fsyncs."""
        url = urls.normalise(url)
        database = cls(url, make_engine(url, pooled=True))
        if urls.is_sqlite(url):
            database._group = GroupCommit(database.engine)
        with database.read():
            pass
        return database

    def attach(self, consumer: Callable[[SqlDatabase], AfterCommit]) -> None:
        """Hand events this database (and each `acting` copy) commits to what `consumer`
        makes of it: the copy's consumer reads with the copy's own credential."""
        self._consumers.append(consumer)
        self.after_commit.append(consumer(self))

    def acting(self, token: str) -> SqlDatabase:
        """This database, on the same engine, acting with `token` (one request's)."""
        database = SqlDatabase(self.url, self.engine, token)
        database._schema_checked = self._schema_checked
        database._group = self._group
        for consumer in self._consumers:
            database.attach(consumer)
        return database

    def _session(self, write: bool) -> AbstractContextManager[Session]:
        if write and self._group is not None:
            return self._group.unit()
        bind = self.engine.execution_options(**{WRITE: write})
        return Session(bind, expire_on_commit=False, autoflush=True)

    @contextmanager
    def _unit(self, write: bool) -> Iterator[SqlUnitOfWork]:
        with translated(self.url), self._session(write) as session:
            if not self._schema_checked:
                self._check_schema(session)
            uow = SqlUnitOfWork(session, self.after_commit, self.seen)
            if self.token is not None and uow.principals.postgres:
                uow.principals.authenticate(self.token)
            try:
                yield uow
            finally:
                # close() rolls back what was not committed and detaches the objects
                # read, keeping their loaded values (rollback() would expire them).
                session.close()

    def ready(self) -> None:
        """Raise `DatabaseError` unless the database answers and its schema is current."""
        with translated(self.url), Session(self.engine) as session:
            self._check_schema(session)

    def write(self) -> AbstractContextManager[SqlUnitOfWork]:
        """A unit of work that takes the write lock at BEGIN (SQLite: BEGIN IMMEDIATE)."""
        return self._unit(write=True)

    def read(self) -> AbstractContextManager[SqlUnitOfWork]:
        """A unit of work for reads: a plain BEGIN, never blocking writers."""
        return self._unit(write=False)

    def waker(self) -> AbstractContextManager[ListenWaker | PollWaker]:
        """Something to wait on until events may have been committed (see store/wake.py).
        Read the stream through this same object: the waker goes by what its reads saw."""
        from mpo.store.wake import waker

        return waker(self.engine, self.seen)

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

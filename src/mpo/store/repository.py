"""SQL for tasks and events: indexed reads and conditional, race-safe writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Table,
    and_,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlmodel import Session, col

from mpo.core.domain.selection import TaskQuery
from mpo.core.tables.models import Task, TaskEvent
from mpo.store import task_rows
from mpo.store.bulk import chunks, executemany
from mpo.store.search import matching
from mpo.store.task_filters import filtered

#: The first key of the rate limits' advisory locks ("mpor"); the second is the principal's.
RATE_LOCK_SPACE = 0x6D706F72
RATE_LOCK_WAIT = "10s"

#: The table bulk-logged events are written to, past the ORM's unit of work.
_EVENT_TABLE: Table = TaskEvent.__table__  # type: ignore[attr-defined]


class SqlTaskRepository:
    """The store's implementation of `mpo.core.ports.TaskRepository`."""

    def __init__(self, session: Session, keep_events: bool = True) -> None:
        self.session = session
        #: Whether anyone consumes the committed events (`committed_events`): without an
        #: after-commit consumer, events logged in bulk are not read back.
        self.keep_events = keep_events
        #: Events added in this transaction, for the after-commit consumers; those written
        #: in bulk (`log`) are read back by batch, only when a consumer wants them.
        self.appended: list[TaskEvent] = []
        self.logged_batches: list[uuid.UUID] = []
        #: The tasks of those events as the transaction leaves them, read just before COMMIT
        #: (a consumer's own read after it could see an older state, or nothing: SQLite's
        #: group commit lands later, and PostgreSQL's next transaction is unauthenticated).
        self.committed_tasks: dict[uuid.UUID, Task] = {}
        self._listening = False
        #: PostgreSQL's guards stamp `created_at` and the transitions' clocks with `now()`
        #: for the app role: what a use case answers must then be read back.
        self.clock_in_database = session.get_bind().dialect.name == "postgresql"

    def add(self, task: Task) -> None:
        self.session.add(task)

    def add_many(self, tasks: Sequence[Task]) -> None:
        """One multi-row INSERT (executemany) for all of `tasks`, not one ORM flush each."""
        task_rows.insert(self.session.connection(), tasks)

    def log(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Append audit events given as column values, in one executemany."""
        if events:
            names = [k for k in events[0] if any(e[k] is not None for e in events)]
            executemany(self.session.connection(), _EVENT_TABLE, names,
                        [[e[k] for k in names] for e in events])
            self._logged(events)

    def create_many(self, tasks: Sequence[Task], events: Sequence[Mapping[str, Any]]) -> bool:
        """New tasks and their create events: `add_many` and `log`, or for a PostgreSQL app
        login and a batch worth it, both checked as one set (`task_rows.create`). True when
        `tasks` then hold what was stored (the database's clock included)."""
        connection = self.session.connection()
        if not task_rows.as_one_set(connection, len(tasks)):
            self.add_many(tasks)
            self.log(events)
            return not self.clock_in_database
        stored = task_rows.create(connection, tasks, events)
        self._logged(events)
        return stored

    def _logged(self, events: Sequence[Mapping[str, Any]]) -> None:
        batches = {e["batch_id"] for e in events if e.get("batch_id") is not None}
        self.logged_batches.extend(sorted(batches))
        self._listen()

    def _listen(self) -> None:
        if self.keep_events and not self._listening:
            # Read them back inside this transaction, just before COMMIT: after it, a new
            # transaction on PostgreSQL is no longer authenticated (`mpo_authenticate`
            # binds the principal per transaction), and row-level security would hide
            # them from the app role.
            event.listen(self.session, "before_commit", self._read_logged)
            self._listening = True

    def _read_logged(self, session: Session) -> None:
        for part in chunks(self.logged_batches):
            stmt = select(TaskEvent).where(col(TaskEvent.batch_id).in_(part))
            self.appended.extend(session.scalars(stmt))
        self.logged_batches = []
        wanted = sorted({e.task_id for e in self.appended} - set(self.committed_tasks))
        if wanted:
            session.flush()
            self.committed_tasks.update((t.id, t) for t in self.by_ids(wanted))

    def committed_events(self) -> list[TaskEvent]:
        """The events this transaction wrote, once committed: those added one by one and
        those logged in bulk (read back by batch id just before the COMMIT), in id order."""
        self._read_logged(self.session)  # none left once committed; here if called before
        found, self.appended = self.appended, []
        return sorted(found, key=lambda e: e.id or 0)

    def by_ids(self, ids: Sequence[uuid.UUID]) -> list[Task]:
        found: list[Task] = []
        for part in chunks(ids):
            # Read fresh: a use case reads back what its UPDATEs (and, on PostgreSQL, the
            # guards overwriting timestamps) stored, not the session's stale copies.
            stmt = select(Task).where(col(Task.id).in_(part))
            found.extend(self.session.scalars(
                stmt.execution_options(populate_existing=True)))
        return found

    def by_idempotency_keys(self, keys: Sequence[str]) -> dict[str, Task]:
        found: dict[str, Task] = {}
        for part in chunks(keys):
            stmt = select(Task).where(col(Task.idempotency_key).in_(part))
            found.update((t.idempotency_key, t) for t in self.session.scalars(stmt)
                         if t.idempotency_key is not None)
        return found

    def statuses_of(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        found: dict[uuid.UUID, str] = {}
        for part in chunks(ids):
            stmt = select(col(Task.id), col(Task.status)).where(col(Task.id).in_(part))
            found.update((row[0], row[1]) for row in self.session.execute(stmt))
        return found

    def move_many(
        self,
        ids: Sequence[uuid.UUID],
        sources: Sequence[str],
        target: str,
        values: dict[str, Any],
    ) -> set[uuid.UUID]:
        """`UPDATE … WHERE id IN (…) AND status IN (sources) RETURNING id`, per chunk of ids.

        Plain row-wise UPDATEs (row triggers see each row); returns the ids it moved.
        """
        moved: set[uuid.UUID] = set()
        for part in chunks(ids):
            stmt = (
                update(Task)
                .where(col(Task.id).in_(part), col(Task.status).in_(sources))
                .values(status=target, **values)
                .returning(col(Task.id))
                .execution_options(synchronize_session=False)
            )
            moved.update(self.session.scalars(stmt))
        return moved

    def get(self, task_id: uuid.UUID) -> Task | None:
        return self.session.get(Task, task_id)

    def by_prefix(
        self, low: uuid.UUID, high: uuid.UUID, limit: int, marketplace: str | None = None
    ) -> list[Task]:
        stmt = select(Task).where(col(Task.id).between(low, high))
        if marketplace is not None:
            stmt = stmt.where(col(Task.marketplace) == marketplace)
        return list(self.session.scalars(stmt.limit(limit)))

    def by_idempotency_key(self, key: str) -> Task | None:
        stmt = select(Task).where(col(Task.idempotency_key) == key)
        return self.session.scalars(stmt).first()

    def find(self, query: TaskQuery) -> list[Task]:
        stmt = filtered(select(Task), query)
        created, task_id = col(Task.created_at), col(Task.id)
        if query.after is not None:
            # Keyset paging: strictly after the last task shown, in the list's order.
            at, last = query.after.created_at, query.after.id
            stmt = stmt.where(
                or_(created < at, and_(created == at, task_id < last)) if query.newest_first
                else or_(created > at, and_(created == at, task_id > last)))
        order: list[ColumnElement[Any]] = (
            [created.desc(), task_id.desc()] if query.newest_first
            else [created.asc(), task_id.asc()])
        if query.search:
            stmt, rank = matching(stmt, query.search, self.session.get_bind().dialect.name)
            order.insert(0, rank)
        stmt = stmt.order_by(*order)
        if query.offset:
            stmt = stmt.offset(query.offset)
        if query.limit is not None:
            stmt = stmt.limit(query.limit)
        return list(self.session.scalars(stmt))

    def count(self, query: TaskQuery) -> int:
        stmt = filtered(select(func.count()).select_from(Task), query)
        return int(self.session.execute(stmt).scalar_one())

    def count_events(self, *, actor: str, action: str, since: datetime) -> int:
        stmt = select(func.count()).select_from(TaskEvent).where(
            col(TaskEvent.actor) == actor, col(TaskEvent.action) == action,
            col(TaskEvent.at) >= since)
        return int(self.session.execute(stmt).scalar_one())

    def hold_rate(self, actor: str) -> None:
        # SQLite's writer lock (BEGIN IMMEDIATE) already orders creates; PostgreSQL takes a
        # transaction advisory lock per principal (two-key form: no other mpo lock's space),
        # waiting at most RATE_LOCK_WAIT: a session holding it for ever (any login can take
        # an advisory lock) makes that principal's creates fail "unavailable", never hang.
        if self.session.get_bind().dialect.name == "postgresql":
            previous = self.session.execute(text("SHOW lock_timeout")).scalar_one()
            self.session.execute(text("SELECT set_config('lock_timeout', :wait, true)"),
                                 {"wait": RATE_LOCK_WAIT})
            self.session.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:who))"),
                                 {"space": RATE_LOCK_SPACE, "who": actor})
            self.session.execute(text("SELECT set_config('lock_timeout', :wait, true)"),
                                 {"wait": previous})

    def event_at(self, *, actor: str, action: str, since: datetime, offset: int
                 ) -> datetime | None:
        stmt = (select(col(TaskEvent.at))
                .where(col(TaskEvent.actor) == actor, col(TaskEvent.action) == action,
                       col(TaskEvent.at) >= since)
                .order_by(col(TaskEvent.at)).offset(offset).limit(1))
        return self.session.scalars(stmt).first()

    def status_of(self, task_id: uuid.UUID) -> str | None:
        stmt = select(col(Task.status)).where(col(Task.id) == task_id)
        return self.session.scalars(stmt).first()

    def move(
        self, task_id: uuid.UUID, expected: str, target: str, values: dict[str, Any]
    ) -> bool:
        stmt = (
            update(Task)
            .where(col(Task.id) == task_id, col(Task.status) == expected)
            .values(status=target, **values)
            .execution_options(synchronize_session=False)
        )
        result = self.session.execute(stmt)
        assert isinstance(result, CursorResult)
        return result.rowcount == 1

    def add_events(self, events: Iterable[TaskEvent]) -> None:
        added = list(events)
        self.session.add_all(added)
        self.appended.extend(added)
        self._listen()

    def events(
        self,
        *,
        task_id: uuid.UUID | None = None,
        actor: str | None = None,
        actions: Sequence[str] = (),
        batch_id: uuid.UUID | None = None,
        since: datetime | None = None,
        marketplace: str | None = None,
        limit: int | None = None,
    ) -> list[TaskEvent]:
        stmt = select(TaskEvent)
        if task_id is not None:
            stmt = stmt.where(col(TaskEvent.task_id) == task_id)
        if actor is not None:
            stmt = stmt.where(col(TaskEvent.actor) == actor)
        if actions:
            stmt = stmt.where(col(TaskEvent.action).in_(actions))
        if batch_id is not None:
            stmt = stmt.where(col(TaskEvent.batch_id) == batch_id)
        if since is not None:
            stmt = stmt.where(col(TaskEvent.at) >= since)
        if marketplace is not None:
            stmt = stmt.join(Task, col(Task.id) == col(TaskEvent.task_id)).where(
                col(Task.marketplace) == marketplace
            )
        # The newest `limit` events, shown oldest first like a log.
        stmt = stmt.order_by(col(TaskEvent.id).desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(reversed(list(self.session.scalars(stmt))))

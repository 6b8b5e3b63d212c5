"""The store's `mpo.core.ports.ArchiveStore`: the archive move, one chunk per call in the
caller's transaction, and reads of archived tasks and events shaped like live ones.

Reads reuse the live queries (`task_filters`, the event filters) with the live table
swapped for its archive (`ClauseAdapter`), so a filter means the same in both places.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, select, text
from sqlmodel import Session, col

from mpo.core.domain.selection import TaskQuery
from mpo.core.tables.archive import task_archive, task_event_archive
from mpo.core.tables.models import Task, TaskEvent
from mpo.core.tables.records import detached
from mpo.core.tables.timestamps import UTCDateTime
from mpo.store import archive_sql as sql
from mpo.store.table_swap import Swap
from mpo.store.task_filters import filtered

TASK: Table = Task.__table__  # type: ignore[attr-defined]
EVENT: Table = TaskEvent.__table__  # type: ignore[attr-defined]
_TASKS = Swap(TASK, task_archive)
#: No limit, as a number both databases take for LIMIT.
EVERY = 2**62
#: Task attributes by column name (`metadata` is held in `meta`).
_ATTRS = {column.name: attr.key for attr in Task.__mapper__.column_attrs  # type: ignore[attr-defined]
          for column in attr.columns}


def _task(row: Any) -> Task:
    values = row._mapping
    return detached(Task, {_ATTRS[c.name]: values[c.name] for c in TASK.columns})


def _event(row: Any) -> TaskEvent:
    values = row._mapping
    return detached(TaskEvent, {c.name: values[c.name] for c in EVENT.columns})


class SqlArchive:
    """Archived tasks and events, and the move."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def due(self, cutoff: datetime, limit: int | None) -> list[Task]:
        limit = EVERY if limit is None else limit
        stmt = text(sql.due(":limit", ordered=True)).bindparams(
            bindparam("cutoff", type_=UTCDateTime()))
        chosen = [uuid.UUID(str(i)) for i in self.session.scalars(
            stmt, {"cutoff": cutoff, "limit": limit})]
        if not chosen:
            return []
        found = {t.id: t for t in self.session.scalars(
            select(Task).where(col(Task.id).in_(chosen)))}
        return [found[i] for i in chosen if i in found]

    def move(self, run_id: uuid.UUID, actor: str, cutoff: datetime, limit: int,
             now: datetime) -> tuple[int, int]:
        if self._postgres:
            row = self.session.execute(
                text("SELECT tasks, events FROM mpo_archive_move(:run, :cutoff, :n)"),
                {"run": run_id, "cutoff": cutoff, "n": limit}).one()
            return int(row.tasks), int(row.events)
        stamp = bindparam("cutoff", type_=UTCDateTime())
        chosen = [str(i) for i in self.session.scalars(
            text(sql.due(":limit")).bindparams(stamp), {"cutoff": cutoff, "limit": limit})]
        if not chosen:
            return 0, 0
        ids = "IN (SELECT value FROM json_each(:ids))"
        given = {"ids": _json(chosen)}
        events = int(self.session.execute(text(sql.count_events(ids)), given).scalar_one())
        batch = self.session.execute(text(
            "INSERT INTO archive_batch (run_id, actor, at, cutoff, tasks, events) "
            "VALUES (:run, :actor, :now, :cutoff, :tasks, :events) RETURNING id").bindparams(
            bindparam("now", type_=UTCDateTime()), stamp), {
            "run": run_id.hex, "actor": actor, "now": now, "cutoff": cutoff,
            "tasks": len(chosen), "events": events}).scalar_one()
        self.session.execute(text(sql.copy_tasks(ids)).bindparams(
            bindparam("now", type_=UTCDateTime())), given | {"now": now, "batch": batch})
        for statement in (sql.copy_events(ids), *sql.deletes(ids)):
            self.session.execute(text(statement), given)
        return len(chosen), events

    def by_prefix(self, low: uuid.UUID, high: uuid.UUID, limit: int,
                  marketplace: str | None = None) -> list[Task]:
        stmt = select(task_archive).where(task_archive.c.id.between(low, high))
        if marketplace is not None:
            stmt = stmt.where(task_archive.c.marketplace == marketplace)
        return [_task(r) for r in self.session.execute(stmt.limit(limit))]

    def find(self, query: TaskQuery) -> list[Task]:
        stmt: Select[Any] = _TASKS.traverse(filtered(select(*TASK.c), query))
        stmt = stmt.order_by(task_archive.c.created_at, task_archive.c.id)
        return [_task(r) for r in self.session.execute(stmt)]

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
        e = task_event_archive.c
        stmt = select(task_event_archive)
        for column, wanted in ((e.task_id, task_id), (e.actor, actor),
                               (e.batch_id, batch_id)):
            if wanted is not None:
                stmt = stmt.where(column == wanted)
        if since is not None:
            stmt = stmt.where(e.at >= since)
        if actions:
            stmt = stmt.where(e.action.in_(actions))
        if marketplace is not None:
            stmt = stmt.join(task_archive, task_archive.c.id == e.task_id).where(
                task_archive.c.marketplace == marketplace)
        stmt = stmt.order_by(e.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        return list(reversed([_event(r) for r in self.session.execute(stmt)]))


def _json(values: Sequence[str]) -> str:
    return json.dumps(list(values))

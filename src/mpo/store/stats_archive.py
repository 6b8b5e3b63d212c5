"""`mpo stats` once the archive has rows: live and archived tasks read as one table, so
archiving changes no number of any window (docs/archive.md)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, union_all
from sqlmodel import Session, SQLModel

import mpo.core.tables.archive  # noqa: F401  (registers the archive's tables)
from mpo.store.table_swap import Swap

task = SQLModel.metadata.tables["task"]
archived = SQLModel.metadata.tables["task_archive"]
#: Statements on `task` read from the archive alone (`per_day`).
ARCHIVED = Swap(task, archived)

#: The columns the stats read, and so what the archive adds to them (`with_archive`).
READ = ("id", "marketplace", "created_by", "category", "priority", "assigned_to", "listing_id",
        "status", "created_at", "submitted_at", "approved_at", "rejected_at", "started_at",
        "completed_at", "estimated_hours", "actual_hours", "rejection_code",
        "rejection_reason")


def with_archive() -> Any:
    """Live and archived tasks as one table: what every statement here reads instead of
    `task` once the archive has rows (`SqlStatsQueries` swaps it in), so archiving changes
    no number of any window."""
    return union_all(select(*(task.c[n] for n in READ)),
                     select(*(archived.c[n] for n in READ))).subquery("tasks_all")


#: The same, spelt for the SQLite text queries (`stats_sqlite`).
SQLITE_ALL = ("(SELECT {cols} FROM task UNION ALL SELECT {cols} FROM task_archive)"
              .format(cols=", ".join(READ)))


def per_day(session: Session, stmt: Any, keys: int, with_archive: bool) -> list[Any]:
    """The rows of a per-day statement (`days`, `volume`: correlated walks per day), read
    from `task` and, `with_archive`, from `task_archive` on its own, added up by their
    first `keys` columns: each walk stays on its table's stamp indexes (over the union,
    SQLite would read both tables whole for every day)."""
    live = list(session.execute(stmt))
    if not with_archive:
        return live
    merged: dict[tuple[Any, ...], list[Any]] = {
        tuple(row[:keys]): [_parsed(v) for v in row[keys:]] for row in live}
    for row in session.execute(ARCHIVED.traverse(stmt)):
        found = merged[tuple(row[:keys])]
        for i, value in enumerate(row[keys:]):
            found[i] = _added(found[i], _parsed(value))
    return [(*key, *values) for key, values in merged.items()]


def _parsed(value: Any) -> Any:
    """A per-day cell: a JSON array (several aggregates of one walk) as a list."""
    return json.loads(value) if isinstance(value, str) and value.startswith("[") else value


def _added(a: Any, b: Any) -> Any:
    """Two per-day cells added: counts and sums, or lists of them, NULL as nothing."""
    if isinstance(a, list):
        return [_added(x, y) for x, y in zip(a, b, strict=True)]
    return b if a is None else a if b is None else a + b

"""`mpo stats` once the archive has rows: live and archived tasks read as one table, so
archiving changes no number of any window (docs/archive.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, union_all
from sqlmodel import SQLModel

import mpo.core.tables.archive  # noqa: F401  (registers the archive's tables)

task = SQLModel.metadata.tables["task"]
archived = SQLModel.metadata.tables["task_archive"]

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

"""The archive (`mpo archive`, docs/archive.md): terminal tasks and their events moved out
of the live tables, unchanged, and one row per chunk moved (who, when, cutoff, how many).

`task_archive` and `task_event_archive` have every column of `task` and `task_event`, built
from them here, so a column added to the live table is a column the archive must get too
(tests/store/test_migrate.py compares the models with the migrated schema). The archive is
append-only: rows enter it only by the move, and nothing updates or deletes them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table
from sqlmodel import Field, SQLModel

from mpo.core.domain.clock import utcnow
from mpo.core.tables.models import Task, TaskEvent
from mpo.core.tables.timestamps import UTCDateTime


class ArchiveBatch(SQLModel, table=True):
    """One chunk an archive run moved, committed with it: a killed run's record is exact."""

    __tablename__ = "archive_batch"
    __table_args__ = (Index("ix_archive_batch_run", "run_id"),)

    id: int | None = Field(default=None, primary_key=True)
    #: The run (one `mpo archive`) the chunk belongs to.
    run_id: uuid.UUID
    actor: str = Field(sa_type=String(100))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: The cutoff: tasks that became terminal before it were due.
    cutoff: datetime = Field(sa_type=UTCDateTime)
    tasks: int = 0
    events: int = 0


def _columns(source: Table) -> list[Column[Any]]:
    """`source`'s columns, without defaults, foreign keys or autoincrement: copies of rows."""
    return [Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable,
                   autoincrement=False) for c in source.columns]


def archive_tables(task: Table, event: Table) -> tuple[Table, Table]:
    """`task_archive` and `task_event_archive`, built from the live tables."""
    tasks = Table(
        "task_archive", SQLModel.metadata,
        *_columns(task),
        Column("archived_at", UTCDateTime(), nullable=False),
        Column("archive_batch", Integer(), ForeignKey("archive_batch.id"), nullable=False),
        # `mpo stats` reads each stamp in its window (docs/archive.md), `export` in order.
        *(Index(f"ix_task_archive_{stamp}", stamp, "marketplace")
          for stamp in ("created_at", "submitted_at", "approved_at", "rejected_at",
                        "started_at", "completed_at")),
        Index("ix_task_archive_status", "status"),
        Index("ix_task_archive_campaign", "campaign", "status"),
        Index("ix_task_archive_batch", "archive_batch"),
    )
    events = Table(
        "task_event_archive", SQLModel.metadata,
        *(Column("task_id", c.type, ForeignKey("task_archive.id"), nullable=False)
          if c.name == "task_id" else c for c in _columns(event)),
        Index("ix_task_event_archive_task_id", "task_id", "id"),
        Index("ix_task_event_archive_at", "at"),
    )
    return tasks, events


task_archive, task_event_archive = archive_tables(
    Task.__table__, TaskEvent.__table__)  # type: ignore[attr-defined]

"""The tables: tasks and their append-only audit events (SQLModel).

Table models do not validate; `mpo.core.validation` guards every write. Timestamps are
timezone-aware UTC in Python on both databases (`UTCDateTime`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Dialect, Index, String, Text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from mpo.core import columns
from mpo.core.permissions import Role
from mpo.core.stats_indexes import stats_indexes
from mpo.core.vocabulary import Category, Priority, Status, values


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only clock the use cases read)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite has no time zone type: values are stored as naive UTC text that `julianday()`
    reads, so stats can compute durations in SQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: mpo stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, allowed: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in allowed)})"


class Task(SQLModel, table=True):
    """One proposed piece of work and where it stands."""

    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint(_in("status", values(Status)), name="ck_task_status"),
        CheckConstraint(_in("category", values(Category)), name="ck_task_category"),
        CheckConstraint(_in("priority", values(Priority)), name="ck_task_priority"),
        Index("ix_task_status_created_at", "status", "created_at"),
        Index("ix_task_marketplace_created_at", "marketplace", "created_at"),
        Index("ix_task_assigned_to", "assigned_to"),
        Index("ix_task_created_by", "created_by"),
        Index("ix_task_idempotency_key", "idempotency_key", unique=True),
        *stats_indexes(),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    marketplace: str = Field(sa_type=String(columns.MARKETPLACE))
    created_by: str = Field(sa_type=String(100))
    title: str = Field(sa_type=String(200))
    description: str = Field(default="", sa_type=Text)
    category: str = Field(sa_type=String(20))
    status: str = Field(default=Status.PENDING.value, sa_type=String(20))
    priority: str = Field(sa_type=String(10))
    estimated_hours: float
    actual_hours: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    approved_by: str | None = Field(default=None, sa_type=String(100))
    rejected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rejected_by: str | None = Field(default=None, sa_type=String(100))
    rejection_code: str | None = Field(default=None, sa_type=String(columns.REJECTION_CODE))
    rejection_reason: str | None = Field(default=None, sa_type=Text)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    assigned_to: str | None = Field(default=None, sa_type=String(100))
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    # SQLAlchemy reserves `metadata` on declarative classes: the attribute is `meta`,
    # the column (and every JSON/flag spelling) is `metadata`.
    meta: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column("metadata", JSON, nullable=False)
    )
    idempotency_key: str | None = Field(default=None, sa_type=String(200))


class TaskEvent(SQLModel, table=True):
    """One line of the append-only audit log: who did what to which task, when and why."""

    __tablename__ = "task_event"
    __table_args__ = (
        Index("ix_task_event_task_id", "task_id", "id"),
        Index("ix_task_event_batch_id", "batch_id"),
        Index("ix_task_event_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: uuid.UUID = Field(foreign_key="task.id")
    batch_id: uuid.UUID | None = None
    actor: str = Field(sa_type=String(100))
    action: str = Field(sa_type=String(20))
    from_status: str | None = Field(default=None, sa_type=String(20))
    to_status: str = Field(sa_type=String(20))
    reason: str | None = Field(default=None, sa_type=Text)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Principal(SQLModel, table=True):
    """Someone or something that acts: an agent, the master, an admin, a member, a viewer.

    Only the SHA-256 of its token is stored; the token itself is shown once.
    """

    __tablename__ = "principal"
    __table_args__ = (
        CheckConstraint(_in("role", values(Role)), name="ck_principal_role"),
        Index("ix_principal_name", "name", unique=True),
        Index("ix_principal_token_hash", "token_hash", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_type=String(100))
    role: str = Field(sa_type=String(10))
    marketplace: str | None = Field(default=None, sa_type=String(columns.MARKETPLACE))
    token_hash: str = Field(sa_type=String(64))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, sa_type=String(100))
    token_rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AccessDenial(SQLModel, table=True):
    """A refused request: who tried (if known), what, and why, so admins can see misuse."""

    __tablename__ = "access_denial"
    __table_args__ = (Index("ix_access_denial_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    principal: str | None = Field(default=None, sa_type=String(100))
    verb: str = Field(sa_type=String(30))
    reason: str = Field(sa_type=Text)

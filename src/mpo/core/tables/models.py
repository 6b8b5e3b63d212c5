"""The tables: tasks and their append-only audit events (SQLModel).

Table models do not validate; `mpo.core.domain.validation` guards every write. Timestamps are
timezone-aware UTC in Python on both databases (`UTCDateTime`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    String,
    Text,
)
from sqlmodel import Field, SQLModel

# The stream's consumer tables and the idempotency keys live in their own modules;
# importing them registers them too.
import mpo.core.tables.idempotency
import mpo.core.tables.stream_models
import mpo.core.tables.teams  # noqa: F401
from mpo.core.domain import columns
from mpo.core.domain.clock import utcnow
from mpo.core.domain.vocabulary import Category, Priority, Role, SourceType, Status, values
from mpo.core.tables.history_indexes import history_indexes
from mpo.core.tables.stats_indexes import stats_indexes
from mpo.core.tables.timestamps import UTCDateTime


def _in(column: str, allowed: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in allowed)})"


def _hours(column: str) -> str:
    """Hours as the core allows them: > 0 and <= 1000 (so never NaN or Infinity)."""
    return f"{column} > 0 AND {column} <= 1000"


def _postgresql(constraint: CheckConstraint) -> CheckConstraint:
    """A constraint only PostgreSQL has (`info["dialects"]`, as `stats_indexes.applies`)."""
    constraint.info["dialects"] = ("postgresql",)
    return constraint.ddl_if(dialect="postgresql")


class Task(SQLModel, table=True):
    """One proposed piece of work and where it stands."""

    __tablename__ = "task"
    __table_args__ = (
        # Custom workflows add statuses (core/domain/workflow.py): the core and the guards decide
        # which exist; the database only refuses an empty one.
        CheckConstraint("status <> ''", name="ck_task_status"),
        CheckConstraint(_in("category", values(Category)), name="ck_task_category"),
        CheckConstraint(_in("priority", values(Priority)), name="ck_task_priority"),
        # PostgreSQL's alone (migration 0015): raw writes reach it, SQLite's go through mpo.
        _postgresql(CheckConstraint(_hours("estimated_hours"), name="ck_task_estimated_hours")),
        _postgresql(CheckConstraint(f"actual_hours IS NULL OR ({_hours('actual_hours')})",
                                    name="ck_task_actual_hours")),
        Index("ix_task_status_created_at", "status", "created_at"),
        Index("ix_task_marketplace_created_at", "marketplace", "created_at"),
        # Led by the filter, then the list order: `mpo list --created-by X -n 50` reads 50
        # index entries instead of sorting all of X's tasks (issue 11).
        Index("ix_task_assigned_to_created_at", "assigned_to", "created_at"),
        Index("ix_task_created_by_created_at", "created_by", "created_at"),
        Index("ix_task_priority_created_at", "priority", "created_at"),
        Index("ix_task_category_created_at", "category", "created_at"),
        Index("ix_task_idempotency_key", "idempotency_key", unique=True),
        Index("ix_task_listing_id", "listing_id"),
        Index("ix_task_plan_id", "plan_id"),
        Index("ix_task_due_date", "due_date"),
        Index("ix_task_lease_expires_at", "lease_expires_at"),
        *stats_indexes(),
        *history_indexes(),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    marketplace: str = Field(sa_type=String(columns.MARKETPLACE))
    created_by: str = Field(sa_type=String(100))
    #: Who really inserted the task (the authenticated principal); `created_by` is whom it
    #: was created for. Neither may approve it. NULL only on rows older than revision 0005.
    recorded_by: str | None = Field(default=None, sa_type=String(100))
    #: Who wrote the content when it came from a template (its author): a proposer too, so
    #: they may not decide it either (issue 20).
    authored_by: str | None = Field(default=None, sa_type=String(100))
    title: str = Field(sa_type=String(500))
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
    campaign: str | None = Field(default=None, sa_type=String(50))
    # The seed's table (issue 13): due dates, listings, who assigned and completed, where
    # the task came from, the agent run that proposed it, and cancellation.
    due_date: date | None = Field(default=None, sa_type=Date)
    listing_id: str | None = Field(default=None, sa_type=String(100))
    completion_notes: str | None = Field(default=None, sa_type=Text)
    assigned_by: str | None = Field(default=None, sa_type=String(100))
    completed_by: str | None = Field(default=None, sa_type=String(100))
    source_type: str = Field(default=SourceType.MANUAL.value, sa_type=String(20))
    plan_id: str | None = Field(default=None, sa_type=String(100))
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_by: str | None = Field(default=None, sa_type=String(100))
    cancellation_code: str | None = Field(default=None, sa_type=String(50))
    cancellation_reason: str | None = Field(default=None, sa_type=Text)
    #: When the executor's claim runs out (`mpo claim`, docs/claim.md): the task then goes
    #: back to approved. NULL when nobody holds a lease on it.
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TaskEvent(SQLModel, table=True):
    """One line of the append-only audit log: who did what to which task, when and why."""

    __tablename__ = "task_event"
    __table_args__ = (
        Index("ix_task_event_task_id", "task_id", "id"),
        Index("ix_task_event_batch_id", "batch_id"),
        Index("ix_task_event_at", "at"),
    )

    #: bigint on PostgreSQL (ids past 2^31); SQLite's rowid is 64-bit already.
    id: int | None = Field(default=None, sa_column=Column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True))
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
        Index("ix_principal_cert_fingerprint", "cert_fingerprint", unique=True),
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
    #: The SHA-256 of the client certificate its token is bound to (`core.domain.certificates`).
    cert_fingerprint: str | None = Field(default=None, sa_type=String(64))
    team: str | None = Field(default=None, sa_type=String(100), foreign_key="team.name")


class AccessDenial(SQLModel, table=True):
    """A refused request: who tried (if known), what, and why, so admins can see misuse."""

    __tablename__ = "access_denial"
    __table_args__ = (Index("ix_access_denial_at", "at"),
                      _postgresql(CheckConstraint("count >= 1", name="ck_access_denial_count")))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    principal: str | None = Field(default=None, sa_type=String(100))
    verb: str = Field(sa_type=String(30))
    reason: str = Field(sa_type=Text)
    #: The client address refused (HTTP), and how many refusals this row stands for.
    client: str | None = Field(default=None, sa_type=String(64))
    count: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class Subtask(SQLModel, table=True):
    """One ordered, checkpointed step of a task (analysis, content generation, delegation);
    its audit events are the parent task's (see docs/subtask.md)."""

    __tablename__ = "subtask"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'in_progress', 'awaiting_checkpoint', 'completed', "
            "'failed')", name="ck_subtask_status"),
        CheckConstraint(
            "type IN ('analysis', 'content_generation', 'delegation')", name="ck_subtask_type"),
        Index("ix_subtask_task_position", "task_id", "position", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    task_id: uuid.UUID = Field(foreign_key="task.id")
    position: int
    type: str = Field(sa_type=String(20))
    title: str = Field(sa_type=String(200))
    status: str = Field(default="pending", sa_type=String(20))
    result: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(100))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TaskTemplate(SQLModel, table=True):
    """Recurring (or one-off) work: the fields of the task it makes, and an optional cron
    schedule read in the configured time zone."""

    __tablename__ = "task_template"
    __table_args__ = (Index("ix_task_template_name", "name", unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(sa_type=String(100))
    fields: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    every: str | None = Field(default=None, sa_type=String(100))
    starts_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(sa_type=String(100))


class RouteCursor(SQLModel, table=True):
    """Where a round-robin routing rule stands, shared by every process and host."""

    __tablename__ = "route_cursor"

    rule: str = Field(primary_key=True, sa_type=String(100))
    position: int = 0


class WorkflowState(SQLModel, table=True):
    """A state a custom workflow adds to the path (`mpo workflow apply`), in path order."""

    __tablename__ = "workflow_state"

    position: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str = Field(sa_type=String(20), unique=True)
    after: str = Field(sa_type=String(20))
    enter: list[str] = Field(default_factory=list, sa_type=JSON)
    leave: list[str] = Field(default_factory=list, sa_type=JSON)
    distinct: bool = False


class WorkflowEdge(SQLModel, table=True):
    """One step the applied workflow allows: an action from one status to another, the
    roles a custom state adds, and whether the actor must not be the task's assignee.
    Derived by the core; the PostgreSQL guards read these rows."""

    __tablename__ = "workflow_edge"

    action: str = Field(primary_key=True, sa_type=String(20))
    source: str = Field(primary_key=True, sa_type=String(20))
    target: str = Field(primary_key=True, sa_type=String(20))
    #: NULL (not JSON null) when the action keeps the built-in roles: the guards test IS NULL.
    roles: list[str] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    not_by_assignee: bool = False


class WebSession(SQLModel, table=True):
    """A browser signed in (`session`) or a one-time sign-in link not yet used (`link`):
    only the SHA-256 of its secret is kept (migration 0017)."""

    __tablename__ = "web_session"
    __table_args__ = (
        CheckConstraint("kind IN ('session', 'link')", name="ck_web_session_kind"),
        Index("ix_web_session_principal_id", "principal_id"),
    )

    id_hash: str = Field(sa_type=String(64), primary_key=True)
    principal_id: uuid.UUID = Field(foreign_key="principal.id")
    kind: str = Field(sa_type=String(10))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)

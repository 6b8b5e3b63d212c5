"""Tasks and their append-only audit events.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = "'pending', 'awaiting_approval', 'approved', 'rejected', 'in_progress', 'completed'"
CATEGORIES = "'optimization', 'best-practice', 'scaling', 'analysis'"
PRIORITIES = "'high', 'medium', 'low'"


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("marketplace", sa.String(50), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("estimated_hours", sa.Float(), nullable=False),
        sa.Column("actual_hours", sa.Float(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("submitted_at", _when(), nullable=True),
        sa.Column("approved_at", _when(), nullable=True),
        sa.Column("approved_by", sa.String(100), nullable=True),
        sa.Column("rejected_at", _when(), nullable=True),
        sa.Column("rejected_by", sa.String(100), nullable=True),
        sa.Column("rejection_code", sa.String(50), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("started_at", _when(), nullable=True),
        sa.Column("completed_at", _when(), nullable=True),
        sa.Column("assigned_to", sa.String(100), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_task_status"),
        sa.CheckConstraint(f"category IN ({CATEGORIES})", name="ck_task_category"),
        sa.CheckConstraint(f"priority IN ({PRIORITIES})", name="ck_task_priority"),
    )
    op.create_index("ix_task_status_created_at", "task", ["status", "created_at"])
    op.create_index("ix_task_marketplace_created_at", "task", ["marketplace", "created_at"])
    op.create_index("ix_task_created_at", "task", ["created_at"])
    op.create_index("ix_task_assigned_to", "task", ["assigned_to"])
    op.create_index("ix_task_created_by", "task", ["created_by"])
    op.create_index("ix_task_idempotency_key", "task", ["idempotency_key"], unique=True)

    op.create_table(
        "task_event",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.Uuid(), sa.ForeignKey("task.id"), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_status", sa.String(20), nullable=True),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", _when(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
    )
    op.create_index("ix_task_event_task_id", "task_event", ["task_id", "id"])
    op.create_index("ix_task_event_batch_id", "task_event", ["batch_id"])
    op.create_index("ix_task_event_at", "task_event", ["at"])

    # The audit log is append-only, whoever connects: the database refuses edits.
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER task_event_no_{verb.lower()} BEFORE {verb} ON task_event "
                "BEGIN SELECT RAISE(ABORT, 'task_event is append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION mpo_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        op.execute(
            "CREATE TRIGGER task_event_append_only BEFORE UPDATE OR DELETE ON task_event "
            "FOR EACH ROW EXECUTE FUNCTION mpo_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TRIGGER task_event_append_only ON task_event")
        op.execute("DROP FUNCTION mpo_append_only()")
    op.drop_table("task_event")
    op.drop_table("task")

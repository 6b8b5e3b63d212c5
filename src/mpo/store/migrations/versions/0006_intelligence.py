"""Campaigns, checkpointed subtasks, and the indexes of effort prediction (issue 16).

- `task.campaign`: the campaign a task was fanned out for (`mpo campaign`), indexed;
- `subtask`: ordered steps of a task, each waiting for a person at its checkpoint; their
  audit events are the parent task's `task_event` rows (docs/subtask.md);
- partial indexes over completed and decided tasks (`mpo.core.tables.history_indexes`), which
  `mpo create` does not pay for.

PostgreSQL: `subtask` gets ENABLE + FORCE row-level security in the style of 0003: it is
visible with its task; masters and admins add steps; agents and the master start and
submit them; admins and members review checkpoints.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"
COMPLETED = "completed_at IS NOT NULL"
DECIDED = "approved_at IS NOT NULL OR rejected_at IS NOT NULL"

ROLE = "(SELECT mpo_principal_role())"
VISIBLE_TASK = "EXISTS (SELECT 1 FROM task t WHERE t.id = subtask.task_id)"
POLICIES = (
    f"CREATE POLICY subtask_read ON subtask FOR SELECT USING ({VISIBLE_TASK})",
    f"""CREATE POLICY subtask_add ON subtask FOR INSERT WITH CHECK (
        {ROLE} IN ('admin', 'master') AND {VISIBLE_TASK})""",
    f"""CREATE POLICY subtask_admin_update ON subtask FOR UPDATE
        USING ({ROLE} = 'admin') WITH CHECK ({ROLE} = 'admin')""",
    f"""CREATE POLICY subtask_agent_work ON subtask FOR UPDATE
        USING ({ROLE} IN ('agent', 'master') AND {VISIBLE_TASK}
               AND status IN ('pending', 'in_progress'))
        WITH CHECK ({ROLE} IN ('agent', 'master')
               AND status IN ('in_progress', 'awaiting_checkpoint', 'failed'))""",
    f"""CREATE POLICY subtask_review ON subtask FOR UPDATE
        USING ({ROLE} = 'member' AND status = 'awaiting_checkpoint')
        WITH CHECK ({ROLE} = 'member' AND status IN ('completed', 'pending'))""",
)


def upgrade() -> None:
    op.add_column("task", sa.Column("campaign", sa.String(50), nullable=True))
    op.create_index("ix_task_campaign", "task", ["campaign", "status"])
    completed, decided = sa.text(COMPLETED), sa.text(DECIDED)
    op.create_index("ix_task_history_agent", "task",
                    ["created_by", "category", "completed_at", "marketplace",
                     "estimated_hours", "actual_hours"],
                    sqlite_where=completed, postgresql_where=completed)
    op.create_index("ix_task_history_marketplace", "task",
                    ["marketplace", "completed_at", "category", "estimated_hours",
                     "actual_hours"],
                    sqlite_where=completed, postgresql_where=completed)
    op.create_index("ix_task_agent_decisions", "task",
                    ["created_by", "approved_at", "rejected_at"],
                    sqlite_where=decided, postgresql_where=decided)
    op.create_table(
        "subtask",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("task_id", sa.Uuid(), sa.ForeignKey("task.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'in_progress', 'awaiting_checkpoint', 'completed', "
            "'failed')", name="ck_subtask_status"),
        sa.CheckConstraint(
            "type IN ('analysis', 'content_generation', 'delegation')", name="ck_subtask_type"),
    )
    op.create_index("ix_subtask_task_position", "subtask", ["task_id", "position"],
                    unique=True)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE subtask ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE subtask FORCE ROW LEVEL SECURITY")
    for policy in POLICIES:
        op.execute(policy)
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON subtask TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_index("ix_subtask_task_position", table_name="subtask")
    op.drop_table("subtask")  # its policies go with it
    for name in ("ix_task_agent_decisions", "ix_task_history_marketplace",
                 "ix_task_history_agent", "ix_task_campaign"):
        op.drop_index(name, table_name="task")
    # A plain ALTER TABLE (SQLite 3.35+): a batch copy of `task` would break its events' keys.
    op.drop_column("task", "campaign")

"""Indexes for `mpo stats`: each serves one query of `mpo.store.stats_queries`.

Both databases get a partial index per lifecycle timestamp, led by that timestamp, for the
windowed counts (`--by day`, narrow windows such as `--day yesterday`), and a small one per
waiting status (awaiting approval, in progress) for the backlog's oldest task and how many
wait too long. SQLite also gets
the indexes that let it answer a year of a million tasks in about a second, where
PostgreSQL hashes and sorts well enough by itself:

- one covering index led by the grouping columns, so per-group window counts stream
  through it in order without a sort;
- one index per duration (hours between two stamps) and on actual/estimated hours: the
  percentiles walk them in order to the right offset instead of sorting;
- the rejections in order of reason code and free-text reason, for their counts.

The full-width `(created_at)` index gives way to one that also carries what the daily
created counts read.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: (name, columns, the stamp that must be set): led by the stamp, so a window is a range.
STAMPS = (
    ("ix_task_created_at_stats", ["created_at", "marketplace", "estimated_hours"], None),
    ("ix_task_submitted_at", ["submitted_at", "marketplace"], "submitted_at"),
    ("ix_task_approved_at", ["approved_at", "marketplace"], "approved_at"),
    ("ix_task_rejected_at", ["rejected_at", "marketplace", "rejection_code"], "rejected_at"),
    ("ix_task_started_at", ["started_at", "marketplace"], "started_at"),
    ("ix_task_completed_at",
     ["completed_at", "marketplace", "estimated_hours", "actual_hours"], "completed_at"),
)
#: (name, stamp, status): the tasks waiting in `status`, in order of how long.
WAITING = (
    ("ix_task_awaiting_since", "submitted_at", "awaiting_approval"),
    ("ix_task_in_progress_since", "started_at", "in_progress"),
)
CUBE = ["marketplace", "created_by", "category", "priority", "assigned_to", "status",
        "created_at", "submitted_at", "approved_at", "rejected_at", "started_at",
        "completed_at", "estimated_hours", "actual_hours"]
DECIDED = "coalesce(approved_at, rejected_at)"


def _hours(start: str, end: str) -> str:
    return f"(julianday({end}) - julianday({start})) * 24"


#: SQLite only: (name, expressions) walked in order for percentiles.
ORDERED = (
    ("ix_task_turnaround_hours", [_hours("submitted_at", DECIDED), DECIDED, "marketplace"]),
    ("ix_task_execution_hours",
     [_hours("started_at", "completed_at"), "completed_at", "marketplace"]),
    ("ix_task_lead_hours", [_hours("approved_at", "completed_at"), "completed_at", "marketplace"]),
    ("ix_task_estimate_ratio",
     ["actual_hours / estimated_hours", "completed_at", "marketplace"]),
)


def upgrade() -> None:
    op.drop_index("ix_task_created_at", table_name="task")
    for name, columns, stamp in STAMPS:
        where = sa.text(f"{stamp} IS NOT NULL") if stamp else None
        op.create_index(name, "task", columns, sqlite_where=where, postgresql_where=where)
    for name, stamp, status in WAITING:
        where = sa.text(f"status = '{status}'")
        op.create_index(name, "task", [stamp, "marketplace"], sqlite_where=where,
                        postgresql_where=where)
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_index("ix_task_stats_cube", "task", CUBE)
    for name, expressions in ORDERED:
        op.create_index(name, "task", [sa.text(e) for e in expressions])
    op.create_index("ix_task_rejections", "task",
                    ["rejection_code", "rejection_reason", "rejected_at", "marketplace"],
                    sqlite_where=sa.text("rejected_at IS NOT NULL"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_task_rejections", table_name="task")
        for name, _ in ORDERED:
            op.drop_index(name, table_name="task")
        op.drop_index("ix_task_stats_cube", table_name="task")
    for name, _, _ in (*STAMPS, *WAITING):
        op.drop_index(name, table_name="task")
    op.create_index("ix_task_created_at", "task", ["created_at"])

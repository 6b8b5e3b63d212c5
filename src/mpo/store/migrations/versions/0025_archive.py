"""The archive (issue 25): `task_archive`, `task_event_archive` and `archive_batch`.

- `task_archive` and `task_event_archive` hold every column of `task` and `task_event` as
  they are at this revision (copied from the live tables, so a later column added to a
  live table is added to its archive by that later revision); a task archived also carries
  `archived_at` and `archive_batch`, the chunk that moved it. `archive_batch` records each
  chunk: the run, who, when, the cutoff, how many tasks and events.
- The audit log stays append-only: an event may be deleted only once its identical copy is
  in `task_event_archive` (the triggers of 0001, replaced); the archive tables and the
  record refuse UPDATE and DELETE from anyone.
- PostgreSQL: row-level security on the three tables; the archive's read policies are the
  live tables' (read from the catalog, so they scope archived rows as live ones); the app
  role reads them and calls `mpo_archive_move`, the owner's function that moves a chunk for
  an admin (the app role may not delete).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from mpo.store import archive_sql

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

STAMPS = ("created_at", "submitted_at", "approved_at", "rejected_at", "started_at",
          "completed_at")


def _copy(live: str) -> list[sa.Column[object]]:
    """The live table's columns as they are now: plain copies (no defaults, no keys)."""
    found = sa.inspect(op.get_bind())
    key = set(found.get_pk_constraint(live)["constrained_columns"])
    return [sa.Column(c["name"], c["type"], primary_key=c["name"] in key,
                      nullable=c["nullable"], autoincrement=False)
            for c in found.get_columns(live)]


def upgrade() -> None:
    op.create_table(
        "archive_batch",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
    )
    op.create_index("ix_archive_batch_run", "archive_batch", ["run_id"])
    op.create_table(
        "task_archive", *_copy("task"),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archive_batch", sa.Integer(), sa.ForeignKey("archive_batch.id"),
                  nullable=False),
    )
    for stamp in STAMPS:
        op.create_index(f"ix_task_archive_{stamp}", "task_archive", [stamp, "marketplace"])
    op.create_index("ix_task_archive_status", "task_archive", ["status"])
    op.create_index("ix_task_archive_campaign", "task_archive", ["campaign", "status"])
    op.create_index("ix_task_archive_batch", "task_archive", ["archive_batch"])
    events = [sa.Column("task_id", c.type, sa.ForeignKey("task_archive.id"), nullable=False)
              if c.name == "task_id" else c for c in _copy("task_event")]
    op.create_table("task_event_archive", *events)
    op.create_index("ix_task_event_archive_task_id", "task_event_archive", ["task_id", "id"])
    op.create_index("ix_task_event_archive_at", "task_event_archive", ["at"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in archive_sql.sqlite_triggers():
            op.execute(statement)
        return
    schema = str(bind.exec_driver_sql("SELECT current_schema()").scalar())
    for statement in archive_sql.pg_statements(bind, schema):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in archive_sql.sqlite_drops():
            op.execute(statement)
        op.execute("DROP TRIGGER task_event_no_delete")
        op.execute("CREATE TRIGGER task_event_no_delete BEFORE DELETE ON task_event "
                   "BEGIN SELECT RAISE(ABORT, 'task_event is append-only'); END")
    else:
        op.execute("DROP FUNCTION mpo_archive_move(uuid, timestamptz, integer)")
        op.execute("DROP TRIGGER task_event_append_only ON task_event")
        op.execute("CREATE TRIGGER task_event_append_only BEFORE UPDATE OR DELETE ON "
                   "task_event FOR EACH ROW EXECUTE FUNCTION mpo_append_only()")
        op.execute("DROP FUNCTION mpo_event_moved()")
        op.execute("DROP POLICY task_archived ON task")
        op.execute("DROP POLICY task_event_archived ON task_event")
    op.drop_table("task_event_archive")
    op.drop_table("task_archive")
    op.drop_table("archive_batch")

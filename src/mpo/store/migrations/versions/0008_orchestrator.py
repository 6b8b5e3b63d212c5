"""The orchestrator's own work (issue 13): the seed's missing task columns, the `cancelled`
status, titles of up to 500 characters, templates for recurring work, and the round-robin
cursors of routing rules.

SQLite cannot alter a CHECK constraint or a column type in place, and rebuilding `task`
would lose the stats' expression indexes and trip the audit log's foreign key; its schema
text is edited instead (SQLite's documented procedure for loosening a constraint). SQLite
does not enforce VARCHAR lengths, so only the text changes there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"
OLD_STATUSES = ("'pending', 'awaiting_approval', 'approved', 'rejected', 'in_progress', "
                "'completed'")
NEW_STATUSES = f"{OLD_STATUSES}, 'cancelled'"
def _columns() -> tuple[sa.Column[object], ...]:
    return (
    sa.Column("due_date", sa.Date(), nullable=True),
    sa.Column("listing_id", sa.String(100), nullable=True),
    sa.Column("completion_notes", sa.Text(), nullable=True),
    sa.Column("assigned_by", sa.String(100), nullable=True),
    sa.Column("completed_by", sa.String(100), nullable=True),
    sa.Column("source_type", sa.String(20), nullable=False, server_default="manual"),
    sa.Column("plan_id", sa.String(100), nullable=True),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancelled_by", sa.String(100), nullable=True),
    sa.Column("cancellation_code", sa.String(50), nullable=True),
    sa.Column("cancellation_reason", sa.Text(), nullable=True),
    )
INDEXES = (("ix_task_listing_id", "listing_id"), ("ix_task_plan_id", "plan_id"),
           ("ix_task_due_date", "due_date"))

ROLE = "(SELECT mpo_principal_role())"
NAME = "(SELECT mpo_principal_name())"
MARKETPLACE = "(SELECT mpo_principal_marketplace())"
OWN = f"{ROLE} = 'agent' AND marketplace = {MARKETPLACE} AND created_by = {NAME}"
POLICIES = (
    # agents submit and call off their own proposals, nothing else
    ("task", "task_agent_own", f"""CREATE POLICY task_agent_own ON task FOR UPDATE
        USING ({OWN} AND status IN ('pending', 'awaiting_approval'))
        WITH CHECK ({OWN} AND status IN ('awaiting_approval', 'cancelled'))"""),
    # templates: admins manage them, the master reads them to run `mpo tick`
    ("task_template", "task_template_read", f"""CREATE POLICY task_template_read
        ON task_template FOR SELECT USING ({ROLE} IN ('admin', 'master'))"""),
    ("task_template", "task_template_admin", f"""CREATE POLICY task_template_admin
        ON task_template FOR ALL USING ({ROLE} = 'admin') WITH CHECK ({ROLE} = 'admin')"""),
    # round-robin cursors move only when an admin routes (approving with auto_assign)
    ("route_cursor", "route_cursor_admin", f"""CREATE POLICY route_cursor_admin
        ON route_cursor FOR ALL USING ({ROLE} = 'admin') WITH CHECK ({ROLE} = 'admin')"""),
)
GRANTS = (
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON task_template TO {APP_ROLE}",
    f"GRANT SELECT, INSERT, UPDATE ON route_cursor TO {APP_ROLE}",
)
NEW_TABLES = ("task_template", "route_cursor")


def _sqlite_schema(old: str, new: str) -> None:
    """Replace text in the CREATE TABLE statement of `task` (SQLite only)."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' "
        "AND name = 'task'", (old, new))
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column in _columns():
        op.add_column("task", column)
    for name, column_name in INDEXES:
        op.create_index(name, "task", [column_name])
    if sqlite:
        _sqlite_schema(f"status IN ({OLD_STATUSES})", f"status IN ({NEW_STATUSES})")
        _sqlite_schema("title VARCHAR(200)", "title VARCHAR(500)")
    else:
        op.drop_constraint("ck_task_status", "task", type_="check")
        op.create_check_constraint("ck_task_status", "task", f"status IN ({NEW_STATUSES})")
        op.alter_column("task", "title", type_=sa.String(500), existing_nullable=False)
    op.create_table(
        "task_template",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("every", sa.String(100), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_task_template_name", "task_template", ["name"], unique=True)
    op.create_table(
        "route_cursor",
        sa.Column("rule", sa.String(100), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    if sqlite:
        return
    for table in NEW_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    for _, _, policy in POLICIES:
        op.execute(policy)
    for grant in GRANTS:
        op.execute(grant)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        for table, name, _ in POLICIES:
            op.execute(f"DROP POLICY {name} ON {table}")
    op.drop_table("route_cursor")
    op.drop_index("ix_task_template_name", table_name="task_template")
    op.drop_table("task_template")
    # Cancelled tasks go back to where the old lifecycle can hold them: not-yet-decided
    # proposals to awaiting_approval is wrong, so refuse rather than guess.
    bind = op.get_bind()
    if bind.exec_driver_sql("SELECT count(*) FROM task WHERE status = 'cancelled'").scalar():
        raise RuntimeError("cannot downgrade below 0007: some tasks are cancelled")
    if sqlite:
        _sqlite_schema(f"status IN ({NEW_STATUSES})", f"status IN ({OLD_STATUSES})")
        _sqlite_schema("title VARCHAR(500)", "title VARCHAR(200)")
    else:
        op.drop_constraint("ck_task_status", "task", type_="check")
        op.create_check_constraint("ck_task_status", "task", f"status IN ({OLD_STATUSES})")
        op.alter_column("task", "title", type_=sa.String(200), existing_nullable=False)
    for name, _ in INDEXES:
        op.drop_index(name, table_name="task")
    for column in reversed(_columns()):
        op.drop_column("task", column.name)

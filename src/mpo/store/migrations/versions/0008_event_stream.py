"""The event stream: consumers' cursors.

`event_cursor` keeps, per named consumer, the id of the last audit event it delivered.
On PostgreSQL each principal sees and moves only its own cursors (admins: all).

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"
ROLE = "(SELECT mpo_principal_role())"
NAME = "(SELECT mpo_principal_name())"


def upgrade() -> None:
    op.create_table(
        "event_cursor",
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE event_cursor ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE event_cursor FORCE ROW LEVEL SECURITY")
    op.execute(f"""CREATE POLICY event_cursor_own ON event_cursor FOR ALL
        USING (owner = {NAME} OR {ROLE} = 'admin')
        WITH CHECK (owner = {NAME} OR {ROLE} = 'admin')""")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON event_cursor TO {APP_ROLE}")


def downgrade() -> None:
    op.drop_table("event_cursor")

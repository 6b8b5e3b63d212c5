"""Idempotency keys for every write verb (issue 21): `idempotency_key`, one row per
principal and key, with the request's digest and the verb's first answer.

On PostgreSQL each principal sees, claims and answers only its own keys (row-level
security, forced for the owner too); nobody deletes or hands one to another principal.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"
TABLE = "idempotency_key"
NAME = "(SELECT mpo_principal_name())"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("principal", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response_json", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {TABLE}_own ON {TABLE} FOR ALL "
                   f"USING (principal = {NAME}) WITH CHECK (principal = {NAME})")
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON {TABLE} TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP POLICY {TABLE}_own ON {TABLE}")
    op.drop_table(TABLE)

"""Principals (hashed tokens, roles) and the record of refused requests.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "principal",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("marketplace", sa.String(50), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("token_rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('agent', 'master', 'admin', 'member', 'viewer')", name="ck_principal_role"
        ),
    )
    op.create_index("ix_principal_name", "principal", ["name"], unique=True)
    op.create_index("ix_principal_token_hash", "principal", ["token_hash"], unique=True)
    op.create_table(
        "access_denial",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("principal", sa.String(100), nullable=True),
        sa.Column("verb", sa.String(30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_access_denial_at", "access_denial", ["at"])


def downgrade() -> None:
    op.drop_table("access_denial")
    op.drop_table("principal")

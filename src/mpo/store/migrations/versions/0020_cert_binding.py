"""Tokens bound to client certificates (issue 27, mutual TLS for agents).

- `principal.cert_fingerprint`: the SHA-256 of the client certificate the principal's
  token is bound to, or NULL (unbound). Unique: a certificate identifies one principal.
- PostgreSQL: the column is covered by what the table already has. Row-level security
  (migration 0003) lets admins read every row and others their own; the grants are on the
  whole table; the principal guard (migration 0005) lets a principal other than an admin
  change only its own token, so only admins bind or unbind a certificate.

Revision ID: 0020
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("principal", sa.Column("cert_fingerprint", sa.String(64), nullable=True))
    op.create_index("ix_principal_cert_fingerprint", "principal", ["cert_fingerprint"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("ix_principal_cert_fingerprint", table_name="principal")
    with op.batch_alter_table("principal") as batch:
        batch.drop_column("cert_fingerprint")

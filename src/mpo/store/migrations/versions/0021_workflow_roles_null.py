"""Workflow edges that keep the built-in roles hold SQL NULL, not JSON null.

`mpo workflow apply` wrote `roles` as the JSON value null for the actions a custom state
leaves alone. The guards' `mpo_edge_ok` tests `roles IS NULL`, so on PostgreSQL, as an
`mpo_app` login, every such action (an admin's submit, an approval) was refused after an
apply. The model now writes SQL NULL; this revision mends the rows already written.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

MEND = "UPDATE workflow_edge SET roles = NULL WHERE CAST(roles AS TEXT) = 'null'"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Row security is forced on the table (admins only): the owner steps outside it.
        op.execute("ALTER TABLE workflow_edge NO FORCE ROW LEVEL SECURITY")
        op.execute(MEND)
        op.execute("ALTER TABLE workflow_edge FORCE ROW LEVEL SECURITY")
    else:
        op.execute(MEND)


def downgrade() -> None:
    """Nothing to undo: SQL NULL reads back as None, as JSON null did."""

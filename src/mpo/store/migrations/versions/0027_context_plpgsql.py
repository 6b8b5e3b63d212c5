"""Who is acting, asked in PL/pgSQL (PostgreSQL): `mpo_principal_id`, `_name`, `_role`,
`_marketplace` and `_markets` answer as before, with their plan kept for the session
instead of planned again at each call (see `mpo.store.context_sql`; issue 26).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""

from alembic import op

from mpo.store import context_sql

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar()
    for body in (*context_sql.COLUMNS, context_sql.MARKETS):
        op.execute(body.replace("{schema}", f'"{schema}"'))


def downgrade() -> None:
    """Nothing to undo: the SQL functions of 0003 and 0026 answered the same."""

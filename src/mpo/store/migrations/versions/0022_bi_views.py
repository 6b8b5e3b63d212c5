"""BI views (issue 25): `bi_tasks`, `bi_events`, `bi_daily`, and the `mpo_bi` read-only role.

- Both databases: the three views of `mpo.store.bi_views`, whose columns docs/bi.md
  documents as a contract, are made by `mpo.store.migrate` once the schema is at head,
  not here: a view pins the columns it reads, and SQLite's batch mode cannot recreate a
  table a view reads, so every migration runs without them (this one only takes them
  away when going down).
- PostgreSQL: the NOLOGIN group role `mpo_bi` (made here unless it exists; an owner that
  may not create roles needs a DBA's `CREATE ROLE mpo_bi NOLOGIN`, docs/postgresql.md),
  `SELECT` on the views and nothing else, and read policies on `task` and `task_event`
  that show its members every row through the views (the views run with the owner's
  rights, on whom row-level security is forced).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from alembic import op

from mpo.store import bi_views

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bi_views.install_access(bind)


def downgrade() -> None:
    bind = op.get_bind()
    bi_views.drop(bind)
    if bind.dialect.name == "postgresql":
        bi_views.remove_access(bind)

"""Bulk create checked as one set (issue 26): `mpo_create_batch(tasks, events)`.

PostgreSQL only (SQLite: a no-op). The function inserts a batch of new tasks and their
create events, staged by the app in temporary tables, with the write guards' create rules
checked once for the batch instead of by a trigger per row; see
`mpo.store.create_batch`. Installed from the rules 0020 froze; a migration that installs
new guard rules installs it again (`create_batch.statements`).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from importlib import import_module

from alembic import op

from mpo.store import create_batch

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    rules = import_module("mpo.store.migrations.versions.0020_leases").RULES
    schema = str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar())
    for statement in create_batch.statements(rules, schema):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {create_batch.SIGNATURE}")

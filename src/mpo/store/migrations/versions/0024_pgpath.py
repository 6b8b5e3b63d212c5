"""PostgreSQL: the events' NOTIFY leaves the trigger; mpo sends it after each commit.

A NOTIFY queued in a transaction makes its COMMIT take one cluster-wide lock
(`PreCommit_Notify`) and hold it until the commit record is on disk: every writer's commit
then waited for the one before it, fsync after fsync, and PostgreSQL's group commit never
formed (pgbench, 16 clients, a task and its event per transaction: 1,725 tps without the
NOTIFY, 236 with it). The trigger keeps the floor lock of 0011 (the horizon needs it) and no
longer notifies; the store's unit of work, after a commit that wrote events, sends one NOTIFY
on the same channel with the same empty payload in a transaction of its own that does not
wait for the disk (`store/announce.py`), so the lock is held for microseconds. Listeners
see no difference. Writers that append events with SQL of their own, past mpo's store, no
longer wake listeners at once; wakers look at the horizon (store/wake.py).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from importlib import import_module

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_HORIZON = import_module("mpo.store.migrations.versions.0011_event_horizon")
_NOTIFY = f",\n            pg_notify('{_HORIZON.CHANNEL}', '')"
#: 0011's trigger function without its NOTIFY (each branch loses its `pg_notify` call).
ORDER_FUNCTION = _HORIZON.ORDER_FUNCTION.replace(_NOTIFY, "")


def _install(body: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    op.execute(body.replace("{schema}", f'"{schema}"'))


def upgrade() -> None:
    assert "pg_notify" not in ORDER_FUNCTION
    _install(ORDER_FUNCTION)


def downgrade() -> None:
    _install(_HORIZON.ORDER_FUNCTION)

"""PostgreSQL: event ids in order without serialising writers (readers stop at a horizon);
the redundant policy `task_agent_own` goes.

0010 made every transaction that appends events take one exclusive advisory lock, held to
its commit: ids became visible in commit order, but concurrent writers queued for the lock
from their first event to the end of their commit (its WAL flush included). Here the
ordering moves to the readers, and writers never wait for each other:

- Before a statement inserts events (and so before any of its ids is drawn), the statement
  trigger reads the id sequence's last value F (`pg_sequence_last_value`) and takes a
  *shared* transaction advisory lock on F (high half `FLOOR_LOCK`), held to commit. Shared
  locks never conflict: no writer waits. Every id the transaction draws from then on is
  above F. The floor is kept for the transaction (`mpo.event_floor`, a transaction-local
  setting) and later statements lock it again (a no-op), so a batch of many statements
  holds one lock, not one each. A forged setting cannot lift a floor: the trigger locks at
  most the sequence's current value whatever the setting says.
- `mpo_event_horizon()` gives readers `settled`: the sequence's last value L, or the lowest
  floor still held if it is lower. It reads L *before* the locks, so any id up to
  `settled` was drawn by a transaction that had locked its floor already; that transaction
  no longer holds it, so it has committed (PostgreSQL releases locks only after the commit
  is visible) or rolled back. A reader's next statement (READ COMMITTED: a new snapshot)
  therefore sees every event up to `settled` that will ever exist. Readers ask for
  `id <= settled` only, and never lock anything. (It also returns L, as `allocated`: the
  wakers of store/wake.py compare the two.)
- The NOTIFY is unchanged (one per transaction: PostgreSQL folds identical ones).

The app role may now also `SELECT` the id sequence (the horizon reads `last_value` and
`is_called`; drawing ids needed only `USAGE`). SQLite serialises writers: nothing changes
there.

`task_agent_own` (0008) is a permissive UPDATE policy; permissive policies are OR-ed, and
the generated `task_transition` (guards.py) already lets an agent update any task of its
marketplace, so it never narrowed anything. What it meant to hold (an agent submits only
its own pending proposals and cancels them only before approval) is enforced by the
generated `mpo_task_guard` trigger from `OWN_ONLY`, tested in tests/store/test_attacks.py.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"
CHANNEL = "mpo_events"
#: Any constant: the high half of the writers' floor locks, whose low half is the floor (a
#: bigint advisory key: `pg_locks` shows classid = FLOOR_LOCK, objid = the floor,
#: objsubid = 1). 0010's append lock was 0x6D706F01.
FLOOR_LOCK = 0x6D706F02
KEY = FLOOR_LOCK << 32
#: The highest id handed out, for writers: pg_sequence_last_value() is NULL until the first
#: one (and after `setval(.., false)`); 0 is then a floor as safe as any, only lower.
LAST = "coalesce(pg_sequence_last_value('{schema}.task_event_id_seq'), 0)"

# One statement per branch, few functions and no text-to-number cast on the first: a new
# connection plans each of them once, and that planning is most of what the trigger costs
# a one-event transaction (bench/events.py). The setting's value is the floor, so later
# statements take the same lock (no new lock per statement, however large the batch); a
# forged value is clamped to [0, the sequence's value], so it can only lower the floor.
ORDER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION mpo_order_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('mpo.event_floor', true) > '' THEN
    PERFORM pg_advisory_xact_lock_shared(
              greatest(least(current_setting('mpo.event_floor')::bigint, {LAST}), 0) + {KEY}),
            pg_notify('{CHANNEL}', '');
  ELSE
    PERFORM pg_advisory_xact_lock_shared({LAST} + {KEY}),
            set_config('mpo.event_floor', {LAST}::text, true),
            pg_notify('{CHANNEL}', '');
  END IF;
  RETURN NULL;
END $$"""

HORIZON_FUNCTION = f"""
CREATE FUNCTION mpo_event_horizon(OUT settled bigint, OUT allocated bigint)
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'mpo: the event horizon needs READ COMMITTED (a snapshot per statement)';
  END IF;
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END INTO allocated
  FROM {{schema}}.task_event_id_seq s;
  SELECT least(allocated, min(l.objid::bigint)) INTO settled FROM pg_catalog.pg_locks l
  WHERE l.locktype = 'advisory' AND l.classid = {FLOOR_LOCK} AND l.objsubid = 1
    AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                      WHERE d.datname = current_database());
END $$"""

#: 0010's trigger function, for the downgrade.
APPEND_LOCK = 0x6D706F01
OLD_ORDER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION mpo_order_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock({APPEND_LOCK});
  PERFORM pg_notify('{CHANNEL}', '');
  RETURN NULL;
END $$"""

ROLE = "(SELECT mpo_principal_role())"
NAME = "(SELECT mpo_principal_name())"
MARKETPLACE = "(SELECT mpo_principal_marketplace())"
OWN = f"{ROLE} = 'agent' AND marketplace = {MARKETPLACE} AND created_by = {NAME}"
#: 0008's policy, for the downgrade.
AGENT_OWN = f"""CREATE POLICY task_agent_own ON task FOR UPDATE
        USING ({OWN} AND status IN ('pending', 'awaiting_approval'))
        WITH CHECK ({OWN} AND status IN ('awaiting_approval', 'cancelled'))"""


def _schema() -> str:
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    return f'"{schema}"'


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = _schema()
    op.execute(ORDER_FUNCTION.replace("{schema}", schema))
    op.execute(HORIZON_FUNCTION.replace("{schema}", schema))
    op.execute("REVOKE ALL ON FUNCTION mpo_event_horizon() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION mpo_event_horizon() TO {APP_ROLE}")
    op.execute(f"GRANT SELECT ON SEQUENCE task_event_id_seq TO {APP_ROLE}")
    op.execute("DROP POLICY task_agent_own ON task")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(AGENT_OWN)
    op.execute(f"REVOKE SELECT ON SEQUENCE task_event_id_seq FROM {APP_ROLE}")
    op.execute("DROP FUNCTION mpo_event_horizon()")
    op.execute(OLD_ORDER_FUNCTION)

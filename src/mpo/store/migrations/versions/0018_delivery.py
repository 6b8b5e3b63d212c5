"""Consumers' cursors per principal, a webhook's cursor its own, a horizon no idle session
can freeze (issue 22, findings 1 and 8).

- `event_cursor` is keyed by (owner, consumer): a name is a principal's own, so an agent
  that runs `mpo watch --consumer ops --since-event 1000000000000` moves its own `ops`,
  never an admin's or another principal's of the same name.
- `webhook.last_event_id`: the webhook's cursor, on its own row, set when it is added.
  Webhooks read through it and no longer through an `event_cursor` named `webhook-ID`,
  which anyone could create first. Existing webhooks keep the position of the cursor their
  creator held (the one an `mpo webhook add` made); other `webhook-ID` cursors are left to
  their owners.
- `mpo_event_horizon()` (0011) counts a writer's floor lock only while the same
  transaction holds `task_event` for writing (`RowExclusiveLock`, taken by the INSERT
  before its statement trigger takes the floor lock). A login that takes
  `pg_advisory_lock_shared` on a floor key in an idle session, without writing, no longer
  holds the stream back. One snapshot of `pg_locks` answers both questions.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

FLOOR_LOCK = 0x6D706F02
LOCKS = """pg_catalog.pg_locks l
  WHERE l.locktype = 'advisory' AND l.classid = {floor} AND l.objsubid = 1
    AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                      WHERE d.datname = current_database())"""
HORIZON_FUNCTION = """
CREATE OR REPLACE FUNCTION mpo_event_horizon(OUT settled bigint, OUT allocated bigint)
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'mpo: the event horizon needs READ COMMITTED (a snapshot per statement)';
  END IF;
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END INTO allocated
  FROM {schema}.task_event_id_seq s;
  {select}
END $$"""
#: Floor locks held by a transaction that is writing events (0018).
WRITERS = f"""WITH locks AS MATERIALIZED (SELECT * FROM pg_catalog.pg_locks)
  SELECT least(allocated, min(l.objid::bigint)) INTO settled FROM locks l
  WHERE l.locktype = 'advisory' AND l.classid = {FLOOR_LOCK} AND l.objsubid = 1
    AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                      WHERE d.datname = current_database())
    AND EXISTS (SELECT 1 FROM locks w
                WHERE w.virtualtransaction = l.virtualtransaction AND w.granted
                  AND w.locktype = 'relation' AND w.mode = 'RowExclusiveLock'
                  AND w.relation = '{{schema}}.task_event'::regclass);"""
#: Every floor lock (0011), for the downgrade.
ANY_HOLDER = ("SELECT least(allocated, min(l.objid::bigint)) INTO settled FROM "
              + LOCKS.format(floor=FLOOR_LOCK) + ";")


def _schema() -> str:
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    return f'"{schema}"'


def _horizon(select: str) -> None:
    schema = _schema()
    op.execute(HORIZON_FUNCTION.replace("{select}", select).replace("{schema}", schema))


def _rekey(key: tuple[str, ...]) -> None:
    """SQLite: `event_cursor` made again with `key` as its primary key, rows kept."""
    op.create_table(
        "event_cursor_new",
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*key),
    )
    op.execute("INSERT INTO event_cursor_new SELECT consumer, owner, last_event_id,"
               " updated_at FROM event_cursor")
    op.drop_table("event_cursor")
    op.rename_table("event_cursor_new", "event_cursor")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("webhook") as batch:
        batch.add_column(sa.Column("last_event_id", sa.BigInteger(), nullable=False,
                                   server_default="0"))
    own = ("consumer = 'webhook-' || CAST(webhook.id AS TEXT)"
           " AND owner = webhook.created_by")
    op.execute("UPDATE webhook SET last_event_id = coalesce((SELECT c.last_event_id"
               f" FROM event_cursor c WHERE c.{own.replace('owner', 'c.owner')}), 0)")
    op.execute("DELETE FROM event_cursor WHERE EXISTS (SELECT 1 FROM webhook"
               f" WHERE event_cursor.{own.replace('owner', 'event_cursor.owner')})")
    if postgres:
        op.execute("ALTER TABLE event_cursor DROP CONSTRAINT event_cursor_pkey")
        op.execute("ALTER TABLE event_cursor ADD PRIMARY KEY (owner, consumer)")
        _horizon(WRITERS)
    else:
        _rekey(("owner", "consumer"))


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute("INSERT INTO event_cursor (consumer, owner, last_event_id, updated_at)"
               " SELECT 'webhook-' || CAST(id AS TEXT), created_by, last_event_id,"
               " created_at FROM webhook")
    # One cursor per name again: of each name, the owner first in name order keeps it.
    op.execute("DELETE FROM event_cursor WHERE EXISTS (SELECT 1 FROM event_cursor o"
               " WHERE o.consumer = event_cursor.consumer AND o.owner < event_cursor.owner)")
    if postgres:
        op.execute("ALTER TABLE event_cursor DROP CONSTRAINT event_cursor_pkey")
        op.execute("ALTER TABLE event_cursor ADD PRIMARY KEY (consumer)")
        _horizon(ANY_HOLDER)
    else:
        _rekey(("consumer",))
    with op.batch_alter_table("webhook") as batch:
        batch.drop_column("last_event_id")

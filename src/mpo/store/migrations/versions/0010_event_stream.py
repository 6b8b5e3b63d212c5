"""The event stream: consumers' cursors, webhooks and their deliveries.

`event_cursor` keeps, per named consumer, the id of the last audit event it delivered.
`webhook` holds the URLs that receive events (their secrets stay in the keyring), and
`webhook_delivery` each event due to each webhook, with its retries or dead letter.
`notification_sent` records each notification per channel and period, so it goes once.
On PostgreSQL each principal sees and moves only its own cursors (admins: all), and only
admins see or touch webhooks and notifications.

PostgreSQL hands out `task_event.id` from a sequence at INSERT time, not at commit; a reader
of "events after id N" could then pass an id whose transaction commits later. A statement
trigger makes every transaction that inserts events first take one advisory lock, held to
its commit, so the next one's ids are higher *and* commit later; and queues a NOTIFY, sent
at commit, for listeners. In the database, so no writer can forget it and it costs no
extra round trip. SQLite serialises writers: nothing to do there.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"
TABLES = ("event_cursor", "webhook", "webhook_delivery", "notification_sent")
ROLE = "(SELECT mpo_principal_role())"
NAME = "(SELECT mpo_principal_name())"
#: Any constant: the advisory lock that orders event appends (distinct from migrations').
APPEND_LOCK = 0x6D706F01
CHANNEL = "mpo_events"
ORDER_FUNCTION = f"""
CREATE FUNCTION mpo_order_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock({APPEND_LOCK});
  PERFORM pg_notify('{CHANNEL}', '');
  RETURN NULL;
END $$"""


def upgrade() -> None:
    op.create_table(
        "event_cursor",
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret_name", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("webhook_id", sa.Integer(), sa.ForeignKey("webhook.id"), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_webhook_delivery_event", "webhook_delivery",
                    ["webhook_id", "event_id"], unique=True)
    op.create_index("ix_webhook_delivery_status", "webhook_delivery",
                    ["status", "next_attempt_at"])
    op.create_table(
        "notification_sent",
        sa.Column("channel", sa.String(100), primary_key=True),
        sa.Column("period", sa.String(100), primary_key=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(ORDER_FUNCTION)
    op.execute("CREATE TRIGGER task_event_order BEFORE INSERT ON task_event "
               "FOR EACH STATEMENT EXECUTE FUNCTION mpo_order_events()")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"""CREATE POLICY event_cursor_own ON event_cursor FOR ALL
        USING (owner = {NAME} OR {ROLE} = 'admin')
        WITH CHECK (owner = {NAME} OR {ROLE} = 'admin')""")
    for table in ("webhook", "webhook_delivery", "notification_sent"):
        op.execute(f"""CREATE POLICY {table}_admin ON {table} FOR ALL
            USING ({ROLE} = 'admin') WITH CHECK ({ROLE} = 'admin')""")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON event_cursor TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON webhook, webhook_delivery, "
               f"notification_sent TO {APP_ROLE}")
    op.execute(f"GRANT USAGE ON SEQUENCE webhook_id_seq, webhook_delivery_id_seq TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER task_event_order ON task_event")
        op.execute("DROP FUNCTION mpo_order_events()")
    op.drop_table("notification_sent")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook")
    op.drop_table("event_cursor")

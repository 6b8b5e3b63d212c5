"""Reliability (issue 22): what an attacker and a failing world found in the schema.

- `access_denial.client` and `access_denial.count`: refusals from one client address are
  coalesced into one row per window, with how many there were (finding 11).
- PostgreSQL: `task.estimated_hours` and `task.actual_hours` are checked in the database
  (> 0 and <= 1000, so NaN, Infinity and negative hours are refused from a raw write too;
  finding 17). NOT VALID: rows already there are left to `mpo db check`, new writes checked.
- PostgreSQL: `task_event.id` and its sequence are bigint (finding 19): ids past 2^31 work.
- PostgreSQL: the table owner may append events under any actor (an import restores
  history; finding 14). `mpo_app` logins are not the owner, so their rule is unchanged.
- PostgreSQL: `mpo_app` may DELETE from `task_template` (`mpo template remove` as an app
  login; its admin-only policy already decides who; finding 19).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"
HOURS = "{column} > 0 AND {column} <= 1000"
#: Whether the session's user is (a member of) the role owning task_event.
OWNER = ("pg_has_role(current_user, (SELECT relowner FROM pg_class "
         "WHERE oid = 'task_event'::regclass), 'USAGE')")


def upgrade() -> None:
    with op.batch_alter_table("access_denial") as batch:
        batch.add_column(sa.Column("client", sa.String(64), nullable=True))
        batch.add_column(sa.Column("count", sa.Integer(), nullable=False,
                                   server_default="1"))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE access_denial ADD CONSTRAINT ck_access_denial_count "
               "CHECK (count >= 1)")
    op.execute("ALTER TABLE task ADD CONSTRAINT ck_task_estimated_hours CHECK ("
               + HOURS.format(column="estimated_hours") + ") NOT VALID")
    op.execute("ALTER TABLE task ADD CONSTRAINT ck_task_actual_hours CHECK (actual_hours "
               "IS NULL OR (" + HOURS.format(column="actual_hours") + ")) NOT VALID")
    op.execute("ALTER SEQUENCE task_event_id_seq AS bigint")
    op.execute("ALTER TABLE task_event ALTER COLUMN id TYPE bigint")
    op.execute(f"CREATE POLICY task_event_owner_restore ON task_event FOR INSERT "
               f"WITH CHECK ({OWNER})")
    op.execute(f"GRANT DELETE ON task_template TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"REVOKE DELETE ON task_template FROM {APP_ROLE}")
        op.execute("DROP POLICY task_event_owner_restore ON task_event")
        op.execute("ALTER TABLE task_event ALTER COLUMN id TYPE integer")
        op.execute("ALTER SEQUENCE task_event_id_seq AS integer")
        op.execute("ALTER TABLE task DROP CONSTRAINT ck_task_actual_hours")
        op.execute("ALTER TABLE task DROP CONSTRAINT ck_task_estimated_hours")
        op.execute("ALTER TABLE access_denial DROP CONSTRAINT ck_access_denial_count")
    with op.batch_alter_table("access_denial") as batch:
        batch.drop_column("count")
        batch.drop_column("client")

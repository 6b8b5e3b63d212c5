"""Teams (issue 25): `team`, `principal.team`, and on PostgreSQL row-level security by team.

- `team`: a name and the marketplaces it covers (a JSON list; NULL: every marketplace). The
  `default` team is inserted here and covers every marketplace; a principal whose `team` is
  NULL belongs to it, so an installation with one team sees no change.
- `principal.team` (NULL: the default team).
- PostgreSQL: `mpo_authenticate(token)` also returns the principal's team and its
  marketplaces (so the actor costs no extra statement); the guards are installed again from
  `guards.rules()`, which now says `teams`: `mpo.store.team_guards` adds
  `mpo_principal_markets()`, restrictive policies on `task`, `task_event` and `subtask`
  (a team-bound principal sees and writes only its team's marketplaces), row-level
  security on `team` (read by all, written by organisation-wide admins), a task guard that
  refuses work given to someone whose team does not cover it, and a principal guard that
  lets only organisation-wide admins manage principals.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from importlib import import_module
from typing import Any

import sqlalchemy as sa
from alembic import op

from mpo.store import create_batch, team_guards

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"
_LEASES = import_module("mpo.store.migrations.versions.0020_leases")
_CERTS = import_module("mpo.store.migrations.versions.0019_cert_binding")

#: `guards.rules()` as of this revision: 0020's, with teams.
RULES: dict[str, Any] = {**_LEASES.RULES, "teams": True}

AUTHENTICATE = """
CREATE FUNCTION mpo_authenticate(token text)
RETURNS TABLE(id uuid, name varchar, role varchar, marketplace varchar,
              cert_fingerprint varchar, team varchar, team_marketplaces text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
  who principal%ROWTYPE;
BEGIN
  DELETE FROM mpo_session s WHERE s.pid = pg_backend_pid();
  IF token LIKE 'mpows-%' THEN
    SELECT p.* INTO who FROM web_session w JOIN principal p ON p.id = w.principal_id
    WHERE w.id_hash = encode(sha256(convert_to(token, 'UTF8')), 'hex')
      AND w.kind = 'session' AND w.expires_at > now() AND p.revoked_at IS NULL;
  ELSE
    SELECT * INTO who FROM principal p
    WHERE p.token_hash = encode(sha256(convert_to(token, 'UTF8')), 'hex')
      AND p.revoked_at IS NULL;
  END IF;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  INSERT INTO mpo_session(pid, xid, principal_id)
  VALUES (pg_backend_pid(), txid_current(), who.id);
  PERFORM set_config('mpo.principal', who.name, true);
  RETURN QUERY SELECT who.id, who.name, who.role, who.marketplace, who.cert_fingerprint,
    who.team, (SELECT t.marketplaces FROM team t WHERE t.name = who.team);
END $$"""


def _authenticate(body: str, schema: str) -> None:
    """A function's result columns cannot be altered in place: drop, create, grant again."""
    op.execute("DROP FUNCTION mpo_authenticate(text)")
    op.execute(body.replace("{schema}", f'"{schema}"'))
    op.execute("REVOKE ALL ON FUNCTION mpo_authenticate(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION mpo_authenticate(text) TO {APP_ROLE}")


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("marketplaces", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=True),
    )
    op.execute("INSERT INTO team (name, marketplaces, created_at, created_by) "
               "VALUES ('default', NULL, CURRENT_TIMESTAMP, NULL)")
    # In place on both (SQLite adds a column with its REFERENCES; a batch copy of
    # `principal` would trip the foreign keys that point at it).
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.add_column("principal", sa.Column("team", sa.String(100),
                                             sa.ForeignKey("team.name"), nullable=True))
    else:
        op.execute("ALTER TABLE principal ADD COLUMN team VARCHAR(100) REFERENCES team (name)")
    if bind.dialect.name == "postgresql":
        schema = str(bind.exec_driver_sql("SELECT current_schema()").scalar())
        _authenticate(AUTHENTICATE, schema)
        _LEASES._install(RULES, _LEASES.AUDIT_RULES)
        # Bulk create (0023) is installed from the guards' rules, and again with them; it
        # inserts as the owner, whom `task`'s forced row security (team policy included)
        # still binds to the authenticated principal's team.
        for statement in create_batch.statements(RULES, schema):
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        schema = str(bind.exec_driver_sql("SELECT current_schema()").scalar())
        _LEASES._install(_LEASES.RULES, _LEASES.AUDIT_RULES)
        for statement in create_batch.statements(_LEASES.RULES, schema):
            op.execute(statement)
        for statement in team_guards.teardown():
            op.execute(statement)
        _authenticate(_CERTS._authenticate(bound=True), schema)
    if bind.dialect.name == "postgresql":
        op.drop_column("principal", "team")
    else:  # SQLite 3.35+ drops a column in place, but not one with a foreign key
        op.execute("PRAGMA foreign_keys = OFF")
        op.execute("ALTER TABLE principal DROP COLUMN team")
    op.drop_table("team")

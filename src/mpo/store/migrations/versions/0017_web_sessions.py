"""Web sessions (issue 23): the browser's sign-in, stored as the SHA-256 of its secret.

- `web_session`: one row per signed-in browser (`kind` 'session') or per one-time sign-in
  link not yet used (`kind` 'link'), tied to a principal, with an expiry. Only digests are
  stored: a leaked table signs nobody in.
- PostgreSQL: the app role has no privilege on the table (RLS on, no policy); it goes
  through SECURITY DEFINER functions. `mpo_authenticate` also accepts a session secret
  (`mpows-...`), so a request signed in by cookie binds the same row-level-security
  context as a token, and a revoked principal's sessions end at their next request.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from mpo.core.tables.timestamps import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"
DIGEST = "encode(sha256(convert_to({}, 'UTF8')), 'hex')"

AUTHENTICATE = """
CREATE OR REPLACE FUNCTION mpo_authenticate(token text)
RETURNS TABLE(id uuid, name varchar, role varchar, marketplace varchar)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
  who principal%ROWTYPE;
BEGIN
  DELETE FROM mpo_session s WHERE s.pid = pg_backend_pid();
  IF token LIKE 'mpows-%' THEN
    SELECT p.* INTO who FROM web_session w JOIN principal p ON p.id = w.principal_id
    WHERE w.id_hash = """ + DIGEST.format("token") + """
      AND w.kind = 'session' AND w.expires_at > now() AND p.revoked_at IS NULL;
  ELSE
    SELECT * INTO who FROM principal p
    WHERE p.token_hash = """ + DIGEST.format("token") + """
      AND p.revoked_at IS NULL;
  END IF;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  INSERT INTO mpo_session(pid, xid, principal_id)
  VALUES (pg_backend_pid(), txid_current(), who.id);
  PERFORM set_config('mpo.principal', who.name, true);
  RETURN QUERY SELECT who.id, who.name, who.role, who.marketplace;
END $$"""

ISSUE = """
CREATE FUNCTION mpo_web_issue(target varchar, new_kind varchar, new_hash varchar,
                              expires timestamptz)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = {schema}, pg_temp AS $$
DECLARE
  me text := mpo_principal_id();
  target_id uuid;
BEGIN
  IF me IS NULL THEN
    RAISE EXCEPTION 'web session: not authenticated' USING ERRCODE = '42501';
  END IF;
  SELECT p.id INTO target_id FROM principal p
  WHERE p.name = target AND p.revoked_at IS NULL AND p.role <> 'agent';
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF target_id::text <> me AND (new_kind <> 'link' OR mpo_principal_role() <> 'admin') THEN
    RAISE EXCEPTION 'web session: only an admin opens a link for another principal'
      USING ERRCODE = '42501';
  END IF;
  DELETE FROM web_session w WHERE w.expires_at <= now();
  INSERT INTO web_session(id_hash, principal_id, kind, created_at, expires_at)
  VALUES (new_hash, target_id, new_kind, now(), expires);
  RETURN true;
END $$"""

REDEEM = """
CREATE FUNCTION mpo_web_redeem(code_hash varchar, new_hash varchar, expires timestamptz)
RETURNS varchar LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = {schema}, pg_temp AS $$
DECLARE
  found_id uuid;
  found_name varchar;
BEGIN
  DELETE FROM web_session w USING principal p
  WHERE w.id_hash = code_hash AND w.kind = 'link' AND w.expires_at > now()
    AND p.id = w.principal_id AND p.revoked_at IS NULL
  RETURNING p.id, p.name INTO found_id, found_name;
  IF found_id IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO web_session(id_hash, principal_id, kind, created_at, expires_at)
  VALUES (new_hash, found_id, 'session', now(), expires);
  RETURN found_name;
END $$"""

CLOSE = """
CREATE FUNCTION mpo_web_close(old_hash varchar)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
  DELETE FROM web_session WHERE id_hash = old_hash AND kind = 'session'
$$"""

NEW_FUNCTIONS = {
    "mpo_web_issue(varchar, varchar, varchar, timestamptz)": ISSUE,
    "mpo_web_redeem(varchar, varchar, timestamptz)": REDEEM,
    "mpo_web_close(varchar)": CLOSE,
}


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("principal_id", sa.Uuid(), sa.ForeignKey("principal.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('session', 'link')", name="ck_web_session_kind"),
    )
    op.create_index("ix_web_session_principal_id", "web_session", ["principal_id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    quoted = f'"{schema}"'
    # No policy: the app role reads and writes sessions only through the functions below.
    op.execute("ALTER TABLE web_session ENABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON web_session FROM PUBLIC, {APP_ROLE}")
    op.execute(AUTHENTICATE.replace("{schema}", quoted))
    for name, body in NEW_FUNCTIONS.items():
        op.execute(body.replace("{schema}", quoted))
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name} TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from importlib import import_module

        previous = import_module("mpo.store.migrations.versions.0003_row_level_security")
        schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
        for name in NEW_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}")
        body = next(f for f in previous.FUNCTIONS if "mpo_authenticate" in f)
        op.execute(body.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
                   .replace("{schema}", f'"{schema}"'))
    op.drop_index("ix_web_session_principal_id", "web_session")
    op.drop_table("web_session")

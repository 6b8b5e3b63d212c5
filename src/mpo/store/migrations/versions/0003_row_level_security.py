"""PostgreSQL row-level security: the database itself enforces who sees and changes what.

The app connects as a login role that is a member of `mpo_app` (non-owner, non-superuser).
Each transaction calls `mpo_authenticate(token)`, a SECURITY DEFINER function that checks the
token's hash and records (backend pid, transaction id) -> principal in `mpo_session`, a table
the app role cannot touch. Policies read that record through definer functions, never a
client-settable variable: holding database credentials is not enough to act as anyone, and
`set_config('mpo.principal', ...)` (set for convenience only) changes nothing.

SQLite has no row-level security: this revision is a no-op there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from alembic import op

from mpo.store import group_roles

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"
TABLES = ("task", "task_event", "principal", "access_denial")
# FORCE makes the table owner obey the policies too. Not on `principal`: the definer
# functions that read it run as its owner, and a policy calling them would recurse.
FORCED = ("task", "task_event", "access_denial")


def _context_function(name: str, column: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = {{schema}}, pg_temp AS $$
  SELECT p.{column}::text FROM mpo_session s JOIN principal p ON p.id = s.principal_id
  WHERE s.pid = pg_backend_pid()
    AND s.xid = txid_current_if_assigned()
    AND p.revoked_at IS NULL
$$"""


FUNCTIONS = (
    _context_function("mpo_principal_id", "id"),
    _context_function("mpo_principal_name", "name"),
    _context_function("mpo_principal_role", "role"),
    _context_function("mpo_principal_marketplace", "marketplace"),
    """
CREATE FUNCTION mpo_authenticate(token text)
RETURNS TABLE(id uuid, name varchar, role varchar, marketplace varchar)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
  who principal%ROWTYPE;
BEGIN
  DELETE FROM mpo_session s WHERE s.pid = pg_backend_pid();
  SELECT * INTO who FROM principal p
  WHERE p.token_hash = encode(sha256(convert_to(token, 'UTF8')), 'hex')
    AND p.revoked_at IS NULL;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  INSERT INTO mpo_session(pid, xid, principal_id)
  VALUES (pg_backend_pid(), txid_current(), who.id);
  PERFORM set_config('mpo.principal', who.name, true);
  RETURN QUERY SELECT who.id, who.name, who.role, who.marketplace;
END $$""",
    """
CREATE FUNCTION mpo_bootstrap_admin(new_id uuid, new_name varchar, new_hash varchar)
RETURNS boolean LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = {schema}, pg_temp AS $$
BEGIN
  LOCK TABLE principal IN EXCLUSIVE MODE;
  IF EXISTS (SELECT 1 FROM principal) THEN
    RETURN false;
  END IF;
  INSERT INTO principal(id, name, role, token_hash, created_at)
  VALUES (new_id, new_name, 'admin', new_hash, now());
  RETURN true;
END $$""",
)

ROLE = "(SELECT mpo_principal_role())"
NAME = "(SELECT mpo_principal_name())"
MARKETPLACE = "(SELECT mpo_principal_marketplace())"
VISIBLE_TASK = "EXISTS (SELECT 1 FROM task t WHERE t.id = task_event.task_id)"

POLICIES = (
    # tasks: agents see and create their own marketplace's only
    f"""CREATE POLICY task_read ON task FOR SELECT USING (
        {ROLE} IN ('admin', 'master', 'member', 'viewer')
        OR ({ROLE} = 'agent' AND marketplace = {MARKETPLACE}))""",
    f"""CREATE POLICY task_create ON task FOR INSERT WITH CHECK (
        {ROLE} IN ('admin', 'master')
        OR ({ROLE} = 'agent' AND marketplace = {MARKETPLACE} AND created_by = {NAME}))""",
    f"""CREATE POLICY task_admin_update ON task FOR UPDATE
        USING ({ROLE} = 'admin') WITH CHECK ({ROLE} = 'admin')""",
    f"""CREATE POLICY task_master_submit ON task FOR UPDATE
        USING ({ROLE} = 'master' AND status = 'pending')
        WITH CHECK ({ROLE} = 'master' AND status = 'awaiting_approval')""",
    f"""CREATE POLICY task_member_work ON task FOR UPDATE
        USING ({ROLE} = 'member' AND (assigned_to = {NAME}
               OR (status = 'approved' AND assigned_to IS NULL)))
        WITH CHECK ({ROLE} = 'member' AND assigned_to = {NAME}
               AND status IN ('in_progress', 'completed'))""",
    # events: readable with their task; written only under one's own name
    f"""CREATE POLICY task_event_read ON task_event FOR SELECT USING (
        {ROLE} IN ('admin', 'master', 'member', 'viewer')
        OR ({ROLE} = 'agent' AND {VISIBLE_TASK}))""",
    f"""CREATE POLICY task_event_append ON task_event FOR INSERT WITH CHECK (
        actor = {NAME} AND {VISIBLE_TASK})""",
    # principals: admins manage; everyone else sees only themselves
    f"""CREATE POLICY principal_read ON principal FOR SELECT USING (
        {ROLE} = 'admin' OR id::text = (SELECT mpo_principal_id()))""",
    f"""CREATE POLICY principal_admin_insert ON principal FOR INSERT
        WITH CHECK ({ROLE} = 'admin')""",
    f"""CREATE POLICY principal_update ON principal FOR UPDATE
        USING ({ROLE} = 'admin' OR id::text = (SELECT mpo_principal_id()))
        WITH CHECK ({ROLE} = 'admin' OR (id::text = (SELECT mpo_principal_id())
                    AND role = {ROLE}))""",
    # refused requests: anyone may report one, as themselves or anonymously; admins read
    f"""CREATE POLICY access_denial_read ON access_denial FOR SELECT USING ({ROLE} = 'admin')""",
    f"""CREATE POLICY access_denial_report ON access_denial FOR INSERT WITH CHECK (
        principal IS NULL OR principal = {NAME})""",
)

GRANTS = (
    f"GRANT SELECT, INSERT, UPDATE ON task, principal TO {APP_ROLE}",
    f"GRANT SELECT, INSERT ON task_event, access_denial TO {APP_ROLE}",
    f"GRANT SELECT ON alembic_version TO {APP_ROLE}",
    f"GRANT USAGE ON SEQUENCE task_event_id_seq, access_denial_id_seq TO {APP_ROLE}",
)

FUNCTION_NAMES = (
    "mpo_principal_id()", "mpo_principal_name()", "mpo_principal_role()",
    "mpo_principal_marketplace()", "mpo_authenticate(text)",
    "mpo_bootstrap_admin(uuid, varchar, varchar)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    # Made here unless it exists (a DBA's, on managed PostgreSQL: docs/postgresql.md).
    group_roles.ensure(op.get_bind(), APP_ROLE)
    op.execute("""CREATE TABLE mpo_session (
        pid integer PRIMARY KEY,
        xid bigint NOT NULL,
        principal_id uuid NOT NULL REFERENCES principal(id),
        at timestamptz NOT NULL DEFAULT now())""")
    op.execute(f"REVOKE ALL ON mpo_session FROM PUBLIC, {APP_ROLE}")
    for function in FUNCTIONS:
        op.execute(function.replace("{schema}", f'"{schema}"'))
    for name in FUNCTION_NAMES:
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name} TO {APP_ROLE}")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    for table in FORCED:
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    for policy in POLICIES:
        op.execute(policy)
    for grant in GRANTS:
        op.execute(grant)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for policy in op.get_bind().exec_driver_sql(
            f"SELECT policyname FROM pg_policies WHERE tablename = '{table}'"
        ).scalars():
            op.execute(f"DROP POLICY {policy} ON {table}")
    for name in FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION {name}")
    op.execute("DROP TABLE mpo_session")

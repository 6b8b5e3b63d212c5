"""Tokens bound to client certificates (issue 27, mutual TLS for agents).

- `principal.cert_fingerprint`: the SHA-256 of the client certificate the principal's
  token is bound to, or NULL (unbound). Unique: a certificate identifies one principal.
- PostgreSQL: `mpo_authenticate(token)` (migration 0017's, which also takes a web session's
  secret) also returns the fingerprint, so
  the check costs no extra statement: the unit of work already calls it when it begins.
  The column is covered by what the table already has: row-level security (0003) lets
  admins read every row and others their own; the grants are on the whole table; the
  principal guard (0005) lets a principal other than an admin change only its own token,
  so only admins bind or unbind a certificate.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"


def _authenticate(bound: bool) -> str:
    """`mpo_authenticate` as migration 0017 made it (a token, or a web session's secret),
    with the fingerprint when `bound`."""
    column, value = (", cert_fingerprint varchar", ", who.cert_fingerprint") if bound else ("", "")
    return f"""
CREATE FUNCTION mpo_authenticate(token text)
RETURNS TABLE(id uuid, name varchar, role varchar, marketplace varchar{column})
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
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
  RETURN QUERY SELECT who.id, who.name, who.role, who.marketplace{value};
END $$"""


def _replace_authenticate(bound: bool) -> None:
    """A function's result columns cannot be altered in place: drop, create, grant again."""
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    op.execute("DROP FUNCTION mpo_authenticate(text)")
    op.execute(_authenticate(bound).replace("{schema}", f'"{schema}"'))
    op.execute("REVOKE ALL ON FUNCTION mpo_authenticate(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION mpo_authenticate(text) TO {APP_ROLE}")


def upgrade() -> None:
    op.add_column("principal", sa.Column("cert_fingerprint", sa.String(64), nullable=True))
    op.create_index("ix_principal_cert_fingerprint", "principal", ["cert_fingerprint"],
                    unique=True)
    _replace_authenticate(bound=True)


def downgrade() -> None:
    _replace_authenticate(bound=False)
    op.drop_index("ix_principal_cert_fingerprint", table_name="principal")
    with op.batch_alter_table("principal") as batch:
        batch.drop_column("cert_fingerprint")

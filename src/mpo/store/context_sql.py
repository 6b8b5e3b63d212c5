"""Who is acting, as PostgreSQL's row-level security and write guards ask it: the columns of
the principal that `mpo_authenticate` bound to this backend and transaction.

PL/pgSQL, not SQL: a create's policies and guards ask about fourteen times for the role and
six for the team's marketplaces. A SQL function's body is planned again at each call from a
new statement; PL/pgSQL keeps its plan for the session. With `track_functions`, these look-
ups cost PostgreSQL 8 ms per create as SQL, 2 ms as PL/pgSQL (issue 26; migration 0027).
"""

from __future__ import annotations

#: The session's principal, if its token was checked in this very transaction.
_JOIN = "FROM mpo_session s JOIN principal p ON p.id = s.principal_id"
_BOUND = """WHERE s.pid = pg_backend_pid() AND s.xid = txid_current_if_assigned()
      AND p.revoked_at IS NULL"""


def _column(name: str, column: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
BEGIN
  RETURN (SELECT p.{column}::text {_JOIN}
    {_BOUND});
END $$"""


#: `mpo_principal_id()` ... `mpo_principal_marketplace()`, NULL without a principal.
COLUMNS = tuple(_column(f"mpo_principal_{column}", column)
                for column in ("id", "name", "role", "marketplace"))

#: The marketplaces of the principal's team; NULL for the `default` team (every one) or
#: without a principal (the owner). Installed with the team guards (`team_guards`).
MARKETS = f"""CREATE OR REPLACE FUNCTION mpo_principal_markets() RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
BEGIN
  RETURN (SELECT ARRAY(SELECT jsonb_array_elements_text(t.marketplaces::jsonb))
    {_JOIN} JOIN team t ON t.name = p.team
    {_BOUND} AND t.marketplaces IS NOT NULL);
END $$"""

"""The cluster-wide group roles mpo grants to (`mpo_app`, `mpo_bi`), made by the migrations
when the owner may create roles, and otherwise expected from a DBA.

Hosted PostgreSQL services give the database owner neither superuser nor always
`CREATEROLE` (issue 25): a DBA then creates the group roles once, as docs/postgresql.md
says, and migrations only grant to them. PostgreSQL checks the right to create a role
before it checks whether the role exists, so an existing role must be looked up first.
"""

from __future__ import annotations

from typing import Any

from mpo.core.domain.errors import PermissionDenied

#: Where the DBA's statements are.
DOCS = "docs/postgresql.md#managed-postgresql-an-owner-without-createrole"


def ensure(connection: Any, name: str) -> None:
    """Create the NOLOGIN group role `name` unless it exists; refuse clearly when it does
    not exist and the current user may not create it."""
    exists, allowed, user = connection.exec_driver_sql(
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %(name)s), "
        "(SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user), "
        "current_user", {"name": name}).one()
    if exists:
        return
    if not allowed:
        raise PermissionDenied(
            f"the group role {name} does not exist and {user} may not create roles "
            f"(neither superuser nor CREATEROLE): ask a DBA to run `CREATE ROLE {name} "
            f"NOLOGIN;` once, then run this again ({DOCS})")
    # Role names are global to the cluster; concurrent upgrades may race to create it.
    connection.exec_driver_sql(
        f"DO $$ BEGIN CREATE ROLE {name} NOLOGIN; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")

"""SQL pieces shared by every generated PostgreSQL guard (`guard_triggers`,
`subtask_guards`, `audit_guards`): quoting, who is exempt, who is acting, how a refusal is
raised, and the function that hands back the rules a database enforces."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

APP_ROLE = "mpo_app"


def in_list(values: Iterable[str]) -> str:
    """`('a', 'b')`; `(NULL)` when empty, which matches nothing."""
    return "(" + (", ".join(f"'{v}'" for v in values) or "NULL") + ")"


def array(values: Iterable[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]::text[]"


def refuse(message: str, *args: str) -> str:
    """A RAISE that mpo reports as exit 4 (SQLSTATE 42501, like every guard's)."""
    extra = "".join(f", {a}" for a in args)
    return (f"RAISE EXCEPTION 'mpo: {message}'{extra} "
            "USING ERRCODE = 'insufficient_privilege';")


#: In a BEFORE trigger: the owner of the table (its members) and superusers pass unchecked.
EXEMPT = """
  IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
  THEN
    RETURN NEW;
  END IF;"""

#: The authenticated principal into `who`, `who_role`, `who_market`; none is a refusal.
WHO = """
  who := mpo_principal_name();
  who_role := mpo_principal_role();
  who_market := mpo_principal_marketplace();
  IF who IS NULL THEN
    RAISE EXCEPTION 'mpo: no authenticated principal (call mpo_authenticate first)'
      USING ERRCODE = 'insufficient_privilege';
  END IF;"""

DECLARE_WHO = """
  who text;
  who_role text;
  who_market text;"""


def installed(function: str, rules: dict[str, Any]) -> str:
    """`function()` returns `rules`: what a database enforces, for the drift tests."""
    data = json.dumps(rules, sort_keys=True).replace("'", "''")
    return f"""CREATE OR REPLACE FUNCTION {function}() RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT '{data}'::jsonb $$"""

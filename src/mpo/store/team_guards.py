"""Teams in the database (PostgreSQL, issue 25): row-level security keeps a team's
principals to its marketplaces, and the write guards keep work within teams.

- `mpo_principal_markets()`: the marketplaces of the authenticated principal's team, NULL
  for the `default` team (every marketplace) or no principal at all (the owner).
- Restrictive policies (ANDed with every permissive one) on `task`, `task_event` and
  `subtask`: a team-bound principal reads and writes only rows of its team's
  marketplaces (an event or subtask: of a task it can see).
- `mpo_team_covers(name, marketplace)`: whether the principal `name` may be given work of
  that marketplace; the task guard refuses an assignment to anyone else.
- `team`: everyone reads it; only organisation-wide admins (admins of the default team)
  write it, and the principal guard lets only them manage principals.

`statements()` is called by `mpo.store.guards.statements` when the rules say `teams`.
"""

from __future__ import annotations

from mpo.store.context_sql import MARKETS
from mpo.store.guard_sql import APP_ROLE, refuse

COVERS = """CREATE OR REPLACE FUNCTION mpo_team_covers(who text, market text)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
  SELECT coalesce((SELECT t.marketplaces IS NULL OR (t.marketplaces::jsonb) ? market
                   FROM principal p LEFT JOIN team t ON t.name = p.team
                   WHERE p.name = who), false)
$$"""

FUNCTIONS = ("mpo_principal_markets()", "mpo_team_covers(text, text)")

#: The principal's team allows the row (a sub-select: computed once per statement).
ALLOWS = ("(SELECT mpo_principal_markets()) IS NULL "
          "OR marketplace::text = ANY (CAST((SELECT mpo_principal_markets()) AS text[]))")


def _visible(table: str, tasks: str = "task") -> str:
    return ("(SELECT mpo_principal_markets()) IS NULL "
            f"OR EXISTS (SELECT 1 FROM {tasks} t WHERE t.id = {table}.task_id)")


#: The archive (`mpo archive`) is scoped as the live tables are.
POLICIES = (("task", "task_team", ALLOWS), ("task_event", "task_event_team",
                                            _visible("task_event")),
            ("subtask", "subtask_team", _visible("subtask")),
            ("task_archive", "task_archive_team", ALLOWS),
            ("task_event_archive", "task_event_archive_team",
             _visible("task_event_archive", "task_archive")))

ORG_ADMIN = "(SELECT mpo_principal_role()) = 'admin' AND (SELECT mpo_principal_markets()) IS NULL"


def statements() -> list[str]:
    """The functions, policies and grants of teams, in order (`{schema}` left in)."""
    out = [MARKETS, COVERS]
    for name in FUNCTIONS:
        out.append(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
        out.append(f"GRANT EXECUTE ON FUNCTION {name} TO {APP_ROLE}")
    for table, policy, allows in POLICIES:
        out.append(f"DROP POLICY IF EXISTS {policy} ON {table}")
        out.append(f"CREATE POLICY {policy} ON {table} AS RESTRICTIVE FOR ALL "
                   f"USING ({allows}) WITH CHECK ({allows})")
    out += ["ALTER TABLE team ENABLE ROW LEVEL SECURITY",
            "DROP POLICY IF EXISTS team_read ON team",
            "CREATE POLICY team_read ON team FOR SELECT USING (true)",
            "DROP POLICY IF EXISTS team_admin ON team",
            f"CREATE POLICY team_admin ON team FOR ALL USING ({ORG_ADMIN}) "
            f"WITH CHECK ({ORG_ADMIN})",
            f"GRANT SELECT, INSERT, UPDATE ON team TO {APP_ROLE}"]
    return out


def assignee_check() -> str:
    """The task guard's refusal of work given to someone whose team does not cover it."""
    return f"""
  IF NEW.assigned_to IS NOT NULL AND NEW.assigned_to IS DISTINCT FROM OLD.assigned_to
     AND NOT mpo_team_covers(NEW.assigned_to, NEW.marketplace) THEN
    {refuse('% is in a team that does not cover marketplace %',
            'NEW.assigned_to', 'NEW.marketplace')}
  END IF;"""


def teardown() -> list[str]:
    """What `statements()` made, dropped again (a downgrade)."""
    out = [f"DROP POLICY IF EXISTS {policy} ON {table}" for table, policy, _ in POLICIES]
    out += ["DROP POLICY IF EXISTS team_admin ON team", "DROP POLICY IF EXISTS team_read ON team"]
    out += [f"DROP FUNCTION IF EXISTS {name}" for name in FUNCTIONS]
    return out

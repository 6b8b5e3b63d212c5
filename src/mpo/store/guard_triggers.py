"""The SQL of the PostgreSQL write guards: one trigger function per table, generated from
the rules `mpo.store.guards.rules()` reads out of the core (see that module for what they
enforce, and `statements()` for how they are installed)."""

from __future__ import annotations

import json
from typing import Any

from mpo.store.guard_sql import DECLARE_WHO, EXEMPT, WHO, array, in_list, refuse
from mpo.store.team_guards import assignee_check

#: How a column a transition stamps may be set.
NOW = "now"  # the database's clock: the trigger overwrites it with now()
ACTOR = "actor"  # the authenticated principal's name
KEPT_OR_ACTOR = "kept_or_actor"  # the value it had, else the principal's name
CLEARED = "cleared"  # NULL
GIVEN = "given"  # a value the request carries (a reason, hours, an assignee)
LEASE = "lease"  # a lease's end: a time after now()
#: What an action needs of `OLD.lease_expires_at` (`rules["leases"]`).
LEASES = {"live": "(OLD.lease_expires_at IS NULL OR OLD.lease_expires_at > now())",
          "expired": "OLD.lease_expires_at <= now()"}

#: The columns a principal other than an admin may change in its own row: its token.
ROTATION = ("token_hash", "token_rotated_at")

#: The declarations of a guard that reads the acting principal.
DECLARE = "\nDECLARE" + DECLARE_WHO


def moves(rules: dict[str, Any]) -> list[tuple[str, str]]:
    """(action, condition under which the UPDATE of OLD into NEW is that action)."""
    found = []
    for action, t in rules["transitions"].items():
        changed = ["status", *t["stamps"]]
        sources = f"OLD.status IN {in_list(t['sources'])}"
        if rules.get("workflow"):  # a custom workflow's edges replace the built-in sources
            sources = (f"coalesce(mpo_edge_ok('{action}', OLD.status, NEW.status, who, "
                       f"who_role, OLD.assigned_to), {sources})")
        terms = [
            f"who_role IN {in_list(t['roles'])}",
            sources,
            f"NEW.status = '{t['target']}'",
            f"(to_jsonb(NEW) - {array(changed)}) = (to_jsonb(OLD) - {array(changed)})",
            f"(who_role NOT IN {in_list(rules['marketplace_bound'])} "
            "OR OLD.marketplace = who_market)",
        ]
        for column, kind in t["stamps"].items():
            if kind == ACTOR:
                terms.append(f"NEW.{column} = who")
            elif kind == KEPT_OR_ACTOR:
                terms.append(f"NEW.{column} = coalesce(OLD.{column}, who)")
            elif kind == CLEARED:
                terms.append(f"NEW.{column} IS NULL")
            elif kind == LEASE:
                terms.append(f"NEW.{column} > now()")
        lease = rules.get("leases", {}).get(action)
        if lease:
            terms.append(LEASES[lease])
        if action in rules["decisions"]:
            terms.append("who <> OLD.created_by AND who IS DISTINCT FROM OLD.recorded_by"
                         + (" AND who IS DISTINCT FROM OLD.authored_by"
                            if rules.get("authored_by") else ""))
        for role, statuses in sorted(rules.get("own_only", {}).get(action, {}).items()):
            terms.append(f"(who_role <> '{role}' OR (OLD.created_by = who "
                         f"AND OLD.status IN {in_list(statuses)}))")
        mine = ("OLD.assigned_to IS NULL OR OLD.assigned_to = who"
                if action in rules["claims"] else "OLD.assigned_to = who")
        if rules.get("workflow"):  # leaving a custom state: its roles, not the assignee's
            mine += f" OR mpo_edge_roles('{action}', OLD.status, NEW.status)"
        if action in rules.get("executing", rules["transitions"]):
            terms.append(f"(who_role NOT IN {in_list(rules['assignee_bound'])} OR {mine})")
        found.append((action, "\n      AND ".join(terms)))
    if rules.get("workflow"):
        found.append(("move", "\n      AND ".join([
            "mpo_edge_ok('move', OLD.status, NEW.status, who, who_role, OLD.assigned_to)",
            "(to_jsonb(NEW) - 'status') = (to_jsonb(OLD) - 'status')",
            f"(who_role NOT IN {in_list(rules['marketplace_bound'])} "
            "OR OLD.marketplace = who_market)"])))
    undo = rules.get("undo")
    if undo:
        for _, spec in sorted(undo["moves"].items()):
            changed = ["status", *spec["clears"]]
            terms = [
                f"who_role IN {in_list(undo['roles'])}",
                f"OLD.status = '{spec['from']}'",
                f"NEW.status IN {in_list(spec['to'])}",
                f"(to_jsonb(NEW) - {array(changed)}) = (to_jsonb(OLD) - {array(changed)})",
                *(f"NEW.{column} IS NULL" for column in spec["clears"]),
            ]
            found.append(("undo", "\n      AND ".join(terms)))
        if rules.get("workflow"):  # back along an edge of the workflow, stamps cleared
            stamped = sorted({c for t in rules["transitions"].values() for c in t["stamps"]})
            found.append(("undo", "\n      AND ".join([
                f"who_role IN {in_list(undo['roles'])}",
                "mpo_edge_back(OLD.status, NEW.status)",
                f"(to_jsonb(NEW) - {array(['status', *stamped])}) = "
                f"(to_jsonb(OLD) - {array(['status', *stamped])})",
                *(f"(NEW.{c} IS NULL OR NEW.{c} IS NOT DISTINCT FROM OLD.{c})"
                  for c in stamped)])))
    return found


def task_guard(rules: dict[str, Any]) -> str:
    create = rules["create"]
    stamped = sorted({c for t in rules["transitions"].values() for c in t["stamps"]})
    undecided = " AND ".join(f"NEW.{c} IS NULL" for c in stamped) or "true"
    which = "\n  ".join(
        f"{'IF' if i == 0 else 'ELSIF'} {condition} THEN\n    act := '{action}';"
        for i, (action, condition) in enumerate(moves(rules))
    )
    clocks = "\n  ".join(
        f"IF act = '{action}' THEN {' '.join(f'NEW.{c} := now();' for c in columns)} END IF;"
        for action, t in rules["transitions"].items()
        if (columns := [c for c, kind in t["stamps"].items() if kind == NOW])
    )
    return f"""CREATE OR REPLACE FUNCTION mpo_task_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = {{schema}}, pg_temp AS $$
{DECLARE}
  act text;
BEGIN{EXEMPT}{WHO}
  IF TG_OP = 'INSERT' THEN
    IF who_role NOT IN {in_list(create['roles'])} THEN
      {refuse('% (role %) may not create tasks', 'who', 'who_role')}
    END IF;
    IF NEW.status IS DISTINCT FROM '{create['status']}' OR NOT ({undecided}) THEN
      {refuse(f"a new task is {create['status']}, with no decision or assignment")}
    END IF;
    IF who_role IN {in_list(rules['marketplace_bound'])}
       AND NEW.marketplace IS DISTINCT FROM who_market THEN
      {refuse('% may only create tasks for marketplace %', 'who', 'who_market')}
    END IF;
    IF NEW.created_by IS DISTINCT FROM who AND NOT (who_role IN {in_list(create['on_behalf'])}
       AND NEW.created_by IN (SELECT mpo_proposers())) THEN
      {refuse('% may not create tasks as %', 'who', 'NEW.created_by')}
    END IF;
    NEW.recorded_by := who;
    NEW.created_at := now();
    RETURN NEW;
  END IF;
  {which}
  END IF;
  IF act IS NULL THEN
    {refuse('% (role %) may not change task % from % to % that way',
             'who', 'who_role', 'OLD.id', 'OLD.status', 'NEW.status')}
  END IF;{assignee_check() if rules.get("teams") else ""}
  {clocks}
  RETURN NEW;
END $$"""


def event_guard(rules: dict[str, Any]) -> str:
    create = rules["create"]
    def sources(action: str, t: dict[str, Any]) -> str:
        builtin = f"NEW.from_status IN {in_list(t['sources'])}"
        if not rules.get("workflow"):
            return builtin
        return (f"coalesce(mpo_edge_ok('{action}', NEW.from_status, NEW.to_status, who, "
                f"who_role, NULL), {builtin})")

    cases = "\n    ".join(
        f"WHEN '{action}' THEN who_role IN {in_list(t['roles'])} "
        f"AND {sources(action, t)} AND NEW.to_status = '{t['target']}' "
        f"AND now_status = '{t['target']}'"
        for action, t in rules["transitions"].items()
    )
    if rules.get("workflow"):
        cases += ("\n    WHEN 'move' THEN mpo_edge_ok('move', NEW.from_status, NEW.to_status, "
                  "who, who_role, NULL) AND now_status = NEW.to_status")
    undo = rules.get("undo")
    if undo:
        backs = " OR ".join(
            f"(NEW.from_status = '{spec['from']}' AND NEW.to_status IN {in_list(spec['to'])})"
            for _, spec in sorted(undo["moves"].items()))
        if rules.get("workflow"):
            backs += " OR mpo_edge_back(NEW.from_status, NEW.to_status)"
        cases += (f"\n    WHEN 'undo' THEN who_role IN {in_list(undo['roles'])} AND ({backs}) "
                  "AND now_status = NEW.to_status")
    steps = rules.get("steps", {})
    # A subtask step leaves its parent as it is and records a subtask written just now.
    cases += "".join(
        f"\n    WHEN '{step}' THEN who_role IN {in_list(roles)} AND NEW.from_status = now_status "
        "AND NEW.to_status = now_status AND sub_fresh"
        for step, roles in sorted(steps.items()))
    fresh_for = (f"CASE WHEN NEW.action IN {in_list(sorted(steps))} THEN sub_fresh ELSE fresh END"
                 if steps else "fresh")
    sub_check = ("""
  sub_fresh := EXISTS (SELECT 1 FROM subtask s WHERE s.task_id = NEW.task_id
                       AND s.xmin = (txid_current() % 4294967296)::text::xid);""" if steps else "")
    return f"""CREATE OR REPLACE FUNCTION mpo_task_event_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = {{schema}}, pg_temp AS $$
{DECLARE}
  now_status text;
  recorder text;
  fresh boolean;
  sub_fresh boolean := false;
BEGIN{EXEMPT}{WHO}
  IF NEW.actor IS DISTINCT FROM who THEN
    {refuse('% may not record events as %', 'who', 'NEW.actor')}
  END IF;
  NEW.at := now();{sub_check}
  SELECT t.status, t.recorded_by, t.xmin = (txid_current() % 4294967296)::text::xid
    INTO now_status, recorder, fresh FROM task t WHERE t.id = NEW.task_id;
  IF NOT FOUND OR NOT ({fresh_for}) THEN
    {refuse('an event records a change made to a visible task in the same transaction')}
  END IF;
  IF NOT (CASE NEW.action
    WHEN 'create' THEN who_role IN {in_list(create['roles'])} AND NEW.from_status IS NULL
      AND NEW.to_status = '{create['status']}' AND now_status = '{create['status']}'
      AND recorder = who
    {cases}
    ELSE false END)
  OR EXISTS (SELECT 1 FROM task_event e
             WHERE e.task_id = NEW.task_id AND e.action = NEW.action AND e.at = now()) THEN
    {refuse('% (role %) may not record % (% -> %) on a task that is %',
             'who', 'who_role', 'NEW.action', 'NEW.from_status', 'NEW.to_status',
             'now_status')}
  END IF;
  RETURN NEW;
END $$"""


def principal_guard(rules: dict[str, Any]) -> str:
    kept = array(list(ROTATION))
    # With teams, only the organisation's admins (the default team's) manage principals.
    org = " AND mpo_principal_markets() IS NULL" if rules.get("teams") else ""
    return f"""CREATE OR REPLACE FUNCTION mpo_principal_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = {{schema}}, pg_temp AS $$
{DECLARE}
BEGIN{EXEMPT}{WHO}
  IF who_role IN {in_list(rules['managers'])}{org} THEN
    RETURN NEW;
  END IF;
  IF TG_OP <> 'UPDATE' OR OLD.id::text IS DISTINCT FROM mpo_principal_id()
     OR (to_jsonb(NEW) - {kept}) <> (to_jsonb(OLD) - {kept}) THEN
    {refuse('% may change only its own token', 'who')}
  END IF;
  NEW.token_rotated_at := now();
  RETURN NEW;
END $$"""


DENIAL_GUARD = f"""CREATE OR REPLACE FUNCTION mpo_access_denial_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = {{schema}}, pg_temp AS $$
BEGIN{EXEMPT}
  NEW.at := now();
  RETURN NEW;
END $$"""


def proposers(rules: dict[str, Any]) -> str:
    create = rules["create"]
    return f"""CREATE OR REPLACE FUNCTION mpo_proposers() RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
  SELECT p.name FROM principal p
  WHERE p.revoked_at IS NULL AND p.role IN {in_list(create['proposers'])}
    AND (mpo_principal_role() IN {in_list(create['on_behalf'])}
         OR pg_has_role(session_user, (SELECT relowner FROM pg_class
                                       WHERE oid = 'principal'::regclass), 'USAGE'))
  ORDER BY p.name
$$"""


def installed(rules: dict[str, Any]) -> str:
    data = json.dumps(rules, sort_keys=True).replace("'", "''")
    return f"""CREATE OR REPLACE FUNCTION mpo_guard_rules() RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT '{data}'::jsonb $$"""

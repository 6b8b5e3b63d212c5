"""The database's copy of the write rules (PostgreSQL): triggers generated from the core.

Row-level policies say which rows a role may touch; these triggers say how it may change
them, for sessions that are neither a superuser nor the tables' owner (the `mpo_app` logins):
a task is born `pending` with no decision on it, moves only along `TRANSITIONS` by a role
whose `PERMISSIONS` allow the action, changes only the columns that action stamps, with the
actor columns naming the authenticated principal and the timestamps the database's own
(`now()`, the transaction's start); an event records such a change, made in the same
transaction, in the actor's own name; a principal other than an admin changes only its own
token. The owner (migrations, `mpo import`) and superusers are exempt.

`rules()` reads the core's tables into plain data; `statements(rules)` turns that data into
`CREATE OR REPLACE` SQL. A migration freezes the data it installs and calls `statements()`;
the installed copy is readable with `SELECT mpo_guard_rules()`, and a test fails when it
differs from `rules()`: then add a migration that installs `rules()` again (issue 10).
"""

from __future__ import annotations

import json
from typing import Any

from mpo.core.domain import lifecycle, permissions
from mpo.core.domain.lifecycle import TRANSITIONS
from mpo.core.domain.permissions import OWN_ONLY, PERMISSIONS, Role, Verb
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases.subtasks import MOVES, Step

#: How a column a transition stamps may be set.
NOW = "now"  # the database's clock: the trigger overwrites it with now()
ACTOR = "actor"  # the authenticated principal's name
KEPT_OR_ACTOR = "kept_or_actor"  # the value it had, else the principal's name
CLEARED = "cleared"  # NULL
GIVEN = "given"  # a value the request carries (a reason, hours, an assignee)

#: The columns a principal other than an admin may change in its own row: its token.
ROTATION = ("token_hash", "token_rotated_at")

def _roles(verb: Verb) -> list[str]:
    return sorted(role.value for role, verbs in PERMISSIONS.items() if verb in verbs)


def _values(roles: frozenset[Role] | frozenset[Action]) -> list[str]:
    return sorted(r.value for r in roles)


_KINDS = {lifecycle.NOW: NOW, lifecycle.ACTOR: ACTOR, lifecycle.KEPT_OR_ACTOR: KEPT_OR_ACTOR}


def stamp_kinds(action: Action) -> dict[str, str]:
    """The columns `action` stamps and how, read from its declaration."""
    return {column: _KINDS.get(how, GIVEN)
            for column, how in sorted(TRANSITIONS[action].stamps)}


def _sources(action: Action) -> list[str]:
    return sorted(TRANSITIONS[action].sources)


def _undo_moves() -> dict[str, dict[str, Any]]:
    """Each action's inverse, and each pair's that one verb makes in one transaction (an
    approval routed at once, the seed's submit-and-decide): undone whole, one event."""
    found = {a.value: {"from": t.target, "to": sorted(t.sources), "clears": sorted(t.columns)}
             for a, t in sorted(TRANSITIONS.items())}
    for a, first in sorted(TRANSITIONS.items()):
        for b, second in sorted(TRANSITIONS.items()):
            if first.target in second.sources and (a, b) in CHAINS:
                found[f"{a}+{b}"] = {"from": second.target, "to": sorted(first.sources),
                                     "clears": sorted({*first.columns, *second.columns})}
    return found


#: The pairs of actions one verb takes in one transaction.
CHAINS = frozenset({(Action.SUBMIT, Action.APPROVE), (Action.SUBMIT, Action.REJECT),
                    (Action.APPROVE, Action.ASSIGN)})


def rules() -> dict[str, Any]:
    """The write rules as data, read from the core's lifecycle and permission tables."""
    return {
        "create": {
            "roles": _roles(Verb.CREATE),
            "status": Status.PENDING.value,
            "on_behalf": _values(permissions.ON_BEHALF),
            "proposers": _values(permissions.PROPOSERS),
        },
        "transitions": {
            action.value: {
                "sources": _sources(action),
                "target": TRANSITIONS[action].target,
                "roles": _roles(Verb(action.value)),
                "stamps": stamp_kinds(action),
            }
            for action in sorted(TRANSITIONS)
        },
        "decisions": _values(permissions.DECISIONS),
        #: A template's author counts as the proposer of the tasks made from it.
        "authored_by": True,
        #: Custom workflows: the guards read the edges of `workflow_edge`.
        "workflow": True,
        "claims": _values(permissions.CLAIMS),
        "marketplace_bound": _values(permissions.MARKETPLACE_BOUND),
        "assignee_bound": _values(permissions.ASSIGNEE_BOUND),
        "managers": _roles(Verb.MANAGE),
        "own_only": _own_only(),
        "undo": {
            "roles": _roles(Verb.UNDO),
            "moves": _undo_moves(),
        },
        "steps": {step.value: _roles(MOVES[step].verb if step in MOVES else Verb.PLAN)
                  for step in Step},
    }


def _own_only() -> dict[str, dict[str, list[str]]]:
    """Per action, the roles that may take it only on tasks they proposed, and from where."""
    found: dict[str, dict[str, list[str]]] = {}
    for role, verbs in sorted(OWN_ONLY.items()):
        for verb, statuses in sorted(verbs.items()):
            found.setdefault(verb.value, {})[role.value] = sorted(s.value for s in statuses)
    return found


# --- SQL ----------------------------------------------------------------------------------


def _in(values: list[str]) -> str:
    return "(" + (", ".join(f"'{v}'" for v in values) or "NULL") + ")"


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]::text[]"


#: True for the owner of the table a trigger fires on, its members and superusers.
_EXEMPT = """
  IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
  THEN
    RETURN NEW;
  END IF;"""

_WHO = """
  who := mpo_principal_name();
  who_role := mpo_principal_role();
  who_market := mpo_principal_marketplace();
  IF who IS NULL THEN
    RAISE EXCEPTION 'mpo: no authenticated principal (call mpo_authenticate first)'
      USING ERRCODE = 'insufficient_privilege';
  END IF;"""

_DECLARE = """
DECLARE
  who text;
  who_role text;
  who_market text;"""


def _refuse(message: str, *args: str) -> str:
    extra = "".join(f", {a}" for a in args)
    return (f"RAISE EXCEPTION 'mpo: {message}'{extra} "
            "USING ERRCODE = 'insufficient_privilege';")


def _moves(rules: dict[str, Any]) -> list[tuple[str, str]]:
    """(action, condition under which the UPDATE of OLD into NEW is that action)."""
    found = []
    for action, t in rules["transitions"].items():
        changed = ["status", *t["stamps"]]
        sources = f"OLD.status IN {_in(t['sources'])}"
        if rules.get("workflow"):  # a custom workflow's edges replace the built-in sources
            sources = (f"coalesce(mpo_edge_ok('{action}', OLD.status, NEW.status, who, "
                       f"who_role, OLD.assigned_to), {sources})")
        terms = [
            f"who_role IN {_in(t['roles'])}",
            sources,
            f"NEW.status = '{t['target']}'",
            f"(to_jsonb(NEW) - {_array(changed)}) = (to_jsonb(OLD) - {_array(changed)})",
            f"(who_role NOT IN {_in(rules['marketplace_bound'])} "
            "OR OLD.marketplace = who_market)",
        ]
        for column, kind in t["stamps"].items():
            if kind == ACTOR:
                terms.append(f"NEW.{column} = who")
            elif kind == KEPT_OR_ACTOR:
                terms.append(f"NEW.{column} = coalesce(OLD.{column}, who)")
            elif kind == CLEARED:
                terms.append(f"NEW.{column} IS NULL")
        if action in rules["decisions"]:
            terms.append("who <> OLD.created_by AND who IS DISTINCT FROM OLD.recorded_by"
                         + (" AND who IS DISTINCT FROM OLD.authored_by"
                            if rules.get("authored_by") else ""))
        for role, statuses in sorted(rules.get("own_only", {}).get(action, {}).items()):
            terms.append(f"(who_role <> '{role}' OR (OLD.created_by = who "
                         f"AND OLD.status IN {_in(statuses)}))")
        mine = ("OLD.assigned_to IS NULL OR OLD.assigned_to = who"
                if action in rules["claims"] else "OLD.assigned_to = who")
        if rules.get("workflow"):  # leaving a custom state: its roles, not the assignee's
            mine += f" OR mpo_edge_roles('{action}', OLD.status, NEW.status)"
        terms.append(f"(who_role NOT IN {_in(rules['assignee_bound'])} OR {mine})")
        found.append((action, "\n      AND ".join(terms)))
    if rules.get("workflow"):
        found.append(("move", "\n      AND ".join([
            "mpo_edge_ok('move', OLD.status, NEW.status, who, who_role, OLD.assigned_to)",
            "(to_jsonb(NEW) - 'status') = (to_jsonb(OLD) - 'status')",
            f"(who_role NOT IN {_in(rules['marketplace_bound'])} "
            "OR OLD.marketplace = who_market)"])))
    undo = rules.get("undo")
    if undo:
        for _, spec in sorted(undo["moves"].items()):
            changed = ["status", *spec["clears"]]
            terms = [
                f"who_role IN {_in(undo['roles'])}",
                f"OLD.status = '{spec['from']}'",
                f"NEW.status IN {_in(spec['to'])}",
                f"(to_jsonb(NEW) - {_array(changed)}) = (to_jsonb(OLD) - {_array(changed)})",
                *(f"NEW.{column} IS NULL" for column in spec["clears"]),
            ]
            found.append(("undo", "\n      AND ".join(terms)))
        if rules.get("workflow"):  # back along an edge of the workflow, stamps cleared
            stamped = sorted({c for t in rules["transitions"].values() for c in t["stamps"]})
            found.append(("undo", "\n      AND ".join([
                f"who_role IN {_in(undo['roles'])}",
                "mpo_edge_back(OLD.status, NEW.status)",
                f"(to_jsonb(NEW) - {_array(['status', *stamped])}) = "
                f"(to_jsonb(OLD) - {_array(['status', *stamped])})",
                *(f"(NEW.{c} IS NULL OR NEW.{c} IS NOT DISTINCT FROM OLD.{c})"
                  for c in stamped)])))
    return found


def _task_guard(rules: dict[str, Any]) -> str:
    create = rules["create"]
    stamped = sorted({c for t in rules["transitions"].values() for c in t["stamps"]})
    undecided = " AND ".join(f"NEW.{c} IS NULL" for c in stamped) or "true"
    which = "\n  ".join(
        f"{'IF' if i == 0 else 'ELSIF'} {condition} THEN\n    act := '{action}';"
        for i, (action, condition) in enumerate(_moves(rules))
    )
    clocks = "\n  ".join(
        f"IF act = '{action}' THEN {' '.join(f'NEW.{c} := now();' for c in columns)} END IF;"
        for action, t in rules["transitions"].items()
        if (columns := [c for c, kind in t["stamps"].items() if kind == NOW])
    )
    return f"""CREATE OR REPLACE FUNCTION mpo_task_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = {{schema}}, pg_temp AS $$
{_DECLARE}
  act text;
BEGIN{_EXEMPT}{_WHO}
  IF TG_OP = 'INSERT' THEN
    IF who_role NOT IN {_in(create['roles'])} THEN
      {_refuse('% (role %) may not create tasks', 'who', 'who_role')}
    END IF;
    IF NEW.status IS DISTINCT FROM '{create['status']}' OR NOT ({undecided}) THEN
      {_refuse(f"a new task is {create['status']}, with no decision or assignment")}
    END IF;
    IF who_role IN {_in(rules['marketplace_bound'])}
       AND NEW.marketplace IS DISTINCT FROM who_market THEN
      {_refuse('% may only create tasks for marketplace %', 'who', 'who_market')}
    END IF;
    IF NEW.created_by IS DISTINCT FROM who AND NOT (who_role IN {_in(create['on_behalf'])}
       AND NEW.created_by IN (SELECT mpo_proposers())) THEN
      {_refuse('% may not create tasks as %', 'who', 'NEW.created_by')}
    END IF;
    NEW.recorded_by := who;
    NEW.created_at := now();
    RETURN NEW;
  END IF;
  {which}
  END IF;
  IF act IS NULL THEN
    {_refuse('% (role %) may not change task % from % to % that way',
             'who', 'who_role', 'OLD.id', 'OLD.status', 'NEW.status')}
  END IF;
  {clocks}
  RETURN NEW;
END $$"""


def _event_guard(rules: dict[str, Any]) -> str:
    create = rules["create"]
    def sources(action: str, t: dict[str, Any]) -> str:
        builtin = f"NEW.from_status IN {_in(t['sources'])}"
        if not rules.get("workflow"):
            return builtin
        return (f"coalesce(mpo_edge_ok('{action}', NEW.from_status, NEW.to_status, who, "
                f"who_role, NULL), {builtin})")

    cases = "\n    ".join(
        f"WHEN '{action}' THEN who_role IN {_in(t['roles'])} "
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
            f"(NEW.from_status = '{spec['from']}' AND NEW.to_status IN {_in(spec['to'])})"
            for _, spec in sorted(undo["moves"].items()))
        if rules.get("workflow"):
            backs += " OR mpo_edge_back(NEW.from_status, NEW.to_status)"
        cases += (f"\n    WHEN 'undo' THEN who_role IN {_in(undo['roles'])} AND ({backs}) "
                  "AND now_status = NEW.to_status")
    steps = rules.get("steps", {})
    # A subtask step leaves its parent as it is and records a subtask written just now.
    cases += "".join(
        f"\n    WHEN '{step}' THEN who_role IN {_in(roles)} AND NEW.from_status = now_status "
        "AND NEW.to_status = now_status AND sub_fresh"
        for step, roles in sorted(steps.items()))
    fresh_for = (f"CASE WHEN NEW.action IN {_in(sorted(steps))} THEN sub_fresh ELSE fresh END"
                 if steps else "fresh")
    sub_check = ("""
  sub_fresh := EXISTS (SELECT 1 FROM subtask s WHERE s.task_id = NEW.task_id
                       AND s.xmin = (txid_current() % 4294967296)::text::xid);""" if steps else "")
    return f"""CREATE OR REPLACE FUNCTION mpo_task_event_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = {{schema}}, pg_temp AS $$
{_DECLARE}
  now_status text;
  recorder text;
  fresh boolean;
  sub_fresh boolean := false;
BEGIN{_EXEMPT}{_WHO}
  IF NEW.actor IS DISTINCT FROM who THEN
    {_refuse('% may not record events as %', 'who', 'NEW.actor')}
  END IF;
  NEW.at := now();{sub_check}
  SELECT t.status, t.recorded_by, t.xmin = (txid_current() % 4294967296)::text::xid
    INTO now_status, recorder, fresh FROM task t WHERE t.id = NEW.task_id;
  IF NOT FOUND OR NOT ({fresh_for}) THEN
    {_refuse('an event records a change made to a visible task in the same transaction')}
  END IF;
  IF NOT (CASE NEW.action
    WHEN 'create' THEN who_role IN {_in(create['roles'])} AND NEW.from_status IS NULL
      AND NEW.to_status = '{create['status']}' AND now_status = '{create['status']}'
      AND recorder = who
    {cases}
    ELSE false END)
  OR EXISTS (SELECT 1 FROM task_event e
             WHERE e.task_id = NEW.task_id AND e.action = NEW.action AND e.at = now()) THEN
    {_refuse('% (role %) may not record % (% -> %) on a task that is %',
             'who', 'who_role', 'NEW.action', 'NEW.from_status', 'NEW.to_status',
             'now_status')}
  END IF;
  RETURN NEW;
END $$"""


def _principal_guard(rules: dict[str, Any]) -> str:
    kept = _array(list(ROTATION))
    return f"""CREATE OR REPLACE FUNCTION mpo_principal_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = {{schema}}, pg_temp AS $$
{_DECLARE}
BEGIN{_EXEMPT}{_WHO}
  IF who_role IN {_in(rules['managers'])} THEN
    RETURN NEW;
  END IF;
  IF TG_OP <> 'UPDATE' OR OLD.id::text IS DISTINCT FROM mpo_principal_id()
     OR (to_jsonb(NEW) - {kept}) <> (to_jsonb(OLD) - {kept}) THEN
    {_refuse('% may change only its own token', 'who')}
  END IF;
  NEW.token_rotated_at := now();
  RETURN NEW;
END $$"""


_DENIAL_GUARD = f"""CREATE OR REPLACE FUNCTION mpo_access_denial_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = {{schema}}, pg_temp AS $$
BEGIN{_EXEMPT}
  NEW.at := now();
  RETURN NEW;
END $$"""


def _proposers(rules: dict[str, Any]) -> str:
    create = rules["create"]
    return f"""CREATE OR REPLACE FUNCTION mpo_proposers() RETURNS SETOF varchar
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
  SELECT p.name FROM principal p
  WHERE p.revoked_at IS NULL AND p.role IN {_in(create['proposers'])}
    AND (mpo_principal_role() IN {_in(create['on_behalf'])}
         OR pg_has_role(session_user, (SELECT relowner FROM pg_class
                                       WHERE oid = 'principal'::regclass), 'USAGE'))
  ORDER BY p.name
$$"""


def _installed(rules: dict[str, Any]) -> str:
    data = json.dumps(rules, sort_keys=True).replace("'", "''")
    return f"""CREATE OR REPLACE FUNCTION mpo_guard_rules() RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT '{data}'::jsonb $$"""


#: (table, trigger, function, events)
TRIGGERS = (
    ("task", "task_guard", "mpo_task_guard", "INSERT OR UPDATE"),
    ("task_event", "task_event_guard", "mpo_task_event_guard", "INSERT"),
    ("principal", "principal_guard", "mpo_principal_guard", "INSERT OR UPDATE"),
    ("access_denial", "access_denial_guard", "mpo_access_denial_guard", "INSERT"),
)
#: The functions the app role may call (trigger functions are never called directly).
CALLABLE = ("mpo_proposers()", "mpo_guard_rules()")
FUNCTIONS = (*CALLABLE, *(f"{f}()" for _, _, f, _ in TRIGGERS))
APP_ROLE = "mpo_app"


def _update_policy(rules: dict[str, Any]) -> list[str]:
    movers = sorted({r for t in rules["transitions"].values() for r in t["roles"]})
    row = (f"(SELECT mpo_principal_role()) IN {_in(movers)} AND "
           f"((SELECT mpo_principal_role()) NOT IN {_in(rules['marketplace_bound'])} "
           "OR marketplace = (SELECT mpo_principal_marketplace()))")
    return ["DROP POLICY IF EXISTS task_transition ON task",
            f"CREATE POLICY task_transition ON task FOR UPDATE USING ({row}) WITH CHECK ({row})"]


#: A custom workflow's edges (`workflow_edge`, written by `mpo workflow apply` from the
#: core's `workflow.derive`), read by the guards. With no rows, `mpo_edge_ok` is NULL and
#: the built-in table holds.
_WORKFLOW = ("""CREATE OR REPLACE FUNCTION mpo_edge_ok(act text, src text, dst text, who text,
  who_role text, assignee text) RETURNS boolean LANGUAGE sql STABLE
SET search_path = {schema}, pg_temp AS $$
  SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM workflow_edge) THEN NULL ELSE EXISTS (
    SELECT 1 FROM workflow_edge e WHERE e.action = act AND e.source = src AND e.target = dst
      AND (e.roles IS NULL OR (e.roles::jsonb) ? who_role)
      AND (NOT e.not_by_assignee OR who IS DISTINCT FROM assignee)) END
$$""", """CREATE OR REPLACE FUNCTION mpo_edge_roles(act text, src text, dst text)
RETURNS boolean LANGUAGE sql STABLE SET search_path = {schema}, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM workflow_edge e WHERE e.action = act AND e.source = src
                 AND e.target = dst AND e.roles IS NOT NULL)
$$""", """CREATE OR REPLACE FUNCTION mpo_edge_back(src text, dst text)
RETURNS boolean LANGUAGE sql STABLE SET search_path = {schema}, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM workflow_edge e WHERE e.source = dst AND e.target = src)
$$""")
_WORKFLOW_FUNCTIONS = ("mpo_edge_ok(text, text, text, text, text, text)",
                       "mpo_edge_roles(text, text, text)", "mpo_edge_back(text, text)")


def statements(rules: dict[str, Any], schema: str) -> list[str]:
    """The SQL that installs (or re-installs) the guards for `rules`, in order."""
    quoted = f'"{schema}"'
    workflow = bool(rules.get("workflow"))
    sql = [
        *(_WORKFLOW if workflow else ()),
        _proposers(rules), _installed(rules), _task_guard(rules), _event_guard(rules),
        _principal_guard(rules), _DENIAL_GUARD,
    ]
    out = [s.replace("{schema}", quoted) for s in sql]
    for table, trigger, function, events in TRIGGERS:
        out.append(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        out.append(f"CREATE TRIGGER {trigger} BEFORE {events} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {function}()")
    out.extend(_update_policy(rules))
    for name in FUNCTIONS:
        out.append(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
    for name in CALLABLE:
        out.append(f"GRANT EXECUTE ON FUNCTION {name} TO {APP_ROLE}")
    out.append(f"REVOKE DELETE, TRUNCATE ON ALL TABLES IN SCHEMA {quoted} FROM {APP_ROLE}")
    if workflow:  # `mpo workflow apply` replaces the rows (row-level security: admins)
        for name in _WORKFLOW_FUNCTIONS:
            out.append(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
            out.append(f"GRANT EXECUTE ON FUNCTION {name} TO {APP_ROLE}")
        out.append(f"GRANT DELETE ON workflow_state, workflow_edge TO {APP_ROLE}")
    return out

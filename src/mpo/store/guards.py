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
`CREATE OR REPLACE` SQL (the trigger functions' text is built in
`mpo.store.guard_triggers`). A migration freezes the data it installs and calls `statements()`;
the installed copy is readable with `SELECT mpo_guard_rules()`, and a test fails when it
differs from `rules()`: then add a migration that installs `rules()` again (issue 10).
"""

from __future__ import annotations

from typing import Any

from mpo.core.domain import lifecycle, permissions
from mpo.core.domain.lifecycle import TRANSITIONS
from mpo.core.domain.permissions import OWN_ONLY, PERMISSIONS, Role, Verb
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases.subtasks import MOVES, Step
from mpo.store import guard_triggers as triggers
from mpo.store import team_guards
from mpo.store.guard_sql import in_list
from mpo.store.guard_triggers import ACTOR, CLEARED, GIVEN, KEPT_OR_ACTOR, LEASE, NOW


def _roles(verb: Verb) -> list[str]:
    return sorted(role.value for role, verbs in PERMISSIONS.items() if verb in verbs)


def _values(roles: frozenset[Role] | frozenset[Action]) -> list[str]:
    return sorted(r.value for r in roles)


_KINDS = {lifecycle.NOW: NOW, lifecycle.ACTOR: ACTOR, lifecycle.KEPT_OR_ACTOR: KEPT_OR_ACTOR,
          lifecycle.CLEARED: CLEARED, lifecycle.LEASE: LEASE}


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
             for a, t in sorted(TRANSITIONS.items()) if t.undoable}
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
                "roles": _roles(Verb(TRANSITIONS[action].verb)),
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
        #: The actions an assignee-bound role takes only on its own tasks.
        "executing": _values(permissions.EXECUTING),
        #: What an action needs of the task's lease: live (none, or not run out), expired.
        "leases": {a.value: t.lease for a, t in sorted(TRANSITIONS.items()) if t.lease},
        "marketplace_bound": _values(permissions.MARKETPLACE_BOUND),
        "assignee_bound": _values(permissions.ASSIGNEE_BOUND),
        "managers": _roles(Verb.MANAGE),
        "own_only": _own_only(),
        "undo": {
            "roles": _roles(Verb.UNDO),
            "moves": _undo_moves(),
        },
        #: Teams (issue 25): row-level security by team, assignments within teams.
        "teams": True,
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


def update_policy(rules: dict[str, Any]) -> list[str]:
    movers = sorted({r for t in rules["transitions"].values() for r in t["roles"]})
    row = (f"(SELECT mpo_principal_role()) IN {in_list(movers)} AND "
           f"((SELECT mpo_principal_role()) NOT IN {in_list(rules['marketplace_bound'])} "
           "OR marketplace = (SELECT mpo_principal_marketplace()))")
    return ["DROP POLICY IF EXISTS task_transition ON task",
            f"CREATE POLICY task_transition ON task FOR UPDATE USING ({row}) WITH CHECK ({row})"]


#: A custom workflow's edges (`workflow_edge`, written by `mpo workflow apply` from the
#: core's `workflow.derive`), read by the guards. With no rows, `mpo_edge_ok` is NULL and
#: the built-in table holds.
WORKFLOW = ("""CREATE OR REPLACE FUNCTION mpo_edge_ok(act text, src text, dst text, who text,
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
WORKFLOW_FUNCTIONS = ("mpo_edge_ok(text, text, text, text, text, text)",
                       "mpo_edge_roles(text, text, text)", "mpo_edge_back(text, text)")


def statements(rules: dict[str, Any], schema: str) -> list[str]:
    """The SQL that installs (or re-installs) the guards for `rules`, in order."""
    quoted = f'"{schema}"'
    workflow = bool(rules.get("workflow"))
    sql = [
        *(WORKFLOW if workflow else ()),
        *(team_guards.statements() if rules.get("teams") else ()),
        triggers.proposers(rules), triggers.installed(rules), triggers.task_guard(rules),
        triggers.event_guard(rules), triggers.principal_guard(rules), triggers.DENIAL_GUARD,
    ]
    out = [s.replace("{schema}", quoted) for s in sql]
    for table, trigger, function, events in TRIGGERS:
        out.append(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        out.append(f"CREATE TRIGGER {trigger} BEFORE {events} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {function}()")
    out.extend(update_policy(rules))
    for name in FUNCTIONS:
        out.append(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
    for name in CALLABLE:
        out.append(f"GRANT EXECUTE ON FUNCTION {name} TO {APP_ROLE}")
    out.append(f"REVOKE DELETE, TRUNCATE ON ALL TABLES IN SCHEMA {quoted} FROM {APP_ROLE}")
    if workflow:  # `mpo workflow apply` replaces the rows (row-level security: admins)
        for name in WORKFLOW_FUNCTIONS:
            out.append(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
            out.append(f"GRANT EXECUTE ON FUNCTION {name} TO {APP_ROLE}")
        out.append(f"GRANT DELETE ON workflow_state, workflow_edge TO {APP_ROLE}")
    return out

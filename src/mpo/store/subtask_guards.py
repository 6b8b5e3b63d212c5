"""The database's copy of the subtask rules (PostgreSQL): a trigger generated from the core.

Row-level security (0006) says which steps a role may touch; `mpo_subtask_guard` says how
they may change, for the `mpo_app` logins (the owner and superusers are exempt), as
`mpo.core.usecases.subtasks` does: a step is added by a role allowed to plan, to a task that is
not finished, last, pending, with no result and in the adder's name; it moves only along
`MOVES` by the roles allowed, changing only the columns that step stamps (`stamps()`);
it starts only when its task is approved or in progress and every earlier step is
completed; `id`, `task_id`, `position`, `type`, `title`, `created_by` and `created_at`
never change; marketplace-bound roles touch only their marketplace's steps; timestamps
are the database's clock.

As in `mpo.store.guards`: `rules()` reads the core into data, `statements(rules)` turns
it into SQL; a migration freezes the data it installs (0012); `SELECT
mpo_subtask_guard_rules()` returns the installed copy and a test compares it to `rules()`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mpo.core.domain import permissions
from mpo.core.domain.permissions import PERMISSIONS, Verb
from mpo.core.usecases.subtasks import FINISHED, MOVES, WORKING, Step, SubtaskStatus, stamps
from mpo.store.guard_sql import (
    APP_ROLE,
    DECLARE_WHO,
    EXEMPT,
    WHO,
    array,
    in_list,
    installed,
    refuse,
)

#: How a column a step stamps is set.
NOW = "now"  # the database's clock: the trigger overwrites it with now()
GIVEN = "given"  # a value the request carries (the submitted result)
CLEARED = "cleared"  # NULL

_NOW = datetime(1, 1, 1, tzinfo=UTC)
_GIVEN: dict[str, Any] = {"\x00given": True}


def stamp_kinds(step: Step) -> dict[str, str]:
    """The columns `step` stamps and how, probed from `core.subtasks.stamps` itself."""
    kinds = {}
    for column, value in sorted(stamps(step, _NOW, _GIVEN).items()):
        kinds[column] = NOW if value is _NOW else GIVEN if value is _GIVEN else CLEARED
    return kinds


def _roles(verb: Verb) -> list[str]:
    return sorted(role.value for role, verbs in PERMISSIONS.items() if verb in verbs)


def rules() -> dict[str, Any]:
    """The subtask rules as data, read from the core's `MOVES` and permission table."""
    return {
        "add": {"roles": _roles(Verb.PLAN), "status": SubtaskStatus.PENDING.value,
                "finished_parents": sorted(FINISHED)},
        "moves": {
            step.value: {"roles": _roles(move.verb),
                         "sources": sorted(s.value for s in move.sources),
                         "target": move.target.value, "stamps": stamp_kinds(step)}
            for step, move in sorted(MOVES.items())
        },
        "start": {"step": Step.START.value, "parents": list(WORKING),
                  "earlier": SubtaskStatus.COMPLETED.value},
        "marketplace_bound": sorted(r.value for r in permissions.MARKETPLACE_BOUND),
    }


def _empty(column: str) -> str:
    """SQL NULL or JSON null: the ORM writes Python's None to a JSON column as the latter."""
    return f"coalesce({column}::jsonb, 'null') = 'null'"


def _moves(rules: dict[str, Any]) -> list[tuple[str, str]]:
    """(step, condition under which the UPDATE of OLD into NEW is that step)."""
    found = []
    for step, move in sorted(rules["moves"].items()):
        changed = array(["status", *move["stamps"]])
        terms = [f"who_role IN {in_list(move['roles'])}",
                 f"OLD.status IN {in_list(move['sources'])}",
                 f"NEW.status = '{move['target']}'",
                 f"(to_jsonb(NEW) - {changed}) = (to_jsonb(OLD) - {changed})",
                 *(_empty(f"NEW.{c}") for c, kind in move["stamps"].items()
                   if kind == CLEARED)]
        found.append((step, "\n      AND ".join(terms)))
    return found


def _guard(rules: dict[str, Any]) -> str:
    add, start = rules["add"], rules["start"]
    which = "\n  ".join(
        f"{'IF' if i == 0 else 'ELSIF'} {condition} THEN\n    step := '{step}';"
        for i, (step, condition) in enumerate(_moves(rules)))
    clocks = "\n  ".join(
        f"IF step = '{step}' THEN {' '.join(f'NEW.{c} := now();' for c in columns)} END IF;"
        for step, move in sorted(rules["moves"].items())
        if (columns := [c for c, kind in move["stamps"].items() if kind == NOW]))
    working = " or ".join(start["parents"])
    return f"""CREATE OR REPLACE FUNCTION mpo_subtask_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = {{schema}}, pg_temp AS $$
DECLARE{DECLARE_WHO}
  parent_status text;
  parent_market text;
  next_position integer;
  step text;
  waiting record;
BEGIN{EXEMPT}{WHO}
  IF TG_OP = 'INSERT' AND who_role NOT IN {in_list(add['roles'])} THEN
    {refuse('% (role %) may not add subtasks', 'who', 'who_role')}
  END IF;
  SELECT t.status, t.marketplace INTO parent_status, parent_market FROM task t
  WHERE t.id = (CASE TG_OP WHEN 'INSERT' THEN NEW.task_id ELSE OLD.task_id END);
  IF NOT FOUND THEN
    {refuse('no visible task % for this subtask', 'NEW.task_id')}
  END IF;
  IF who_role IN {in_list(rules['marketplace_bound'])}
     AND parent_market IS DISTINCT FROM who_market THEN
    {refuse('% may only touch subtasks of marketplace %', 'who', 'who_market')}
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF parent_status IN {in_list(add['finished_parents'])} THEN
      {refuse('task % is %; subtasks need an open task', 'NEW.task_id', 'parent_status')}
    END IF;
    IF NEW.created_by IS DISTINCT FROM who THEN
      {refuse('% may not add subtasks as %', 'who', 'NEW.created_by')}
    END IF;
    IF NEW.status IS DISTINCT FROM '{add['status']}' OR NOT {_empty('NEW.result')} THEN
      {refuse(f"a new subtask is {add['status']}, with no result")}
    END IF;
    SELECT coalesce(max(s.position), 0) + 1 INTO next_position FROM subtask s
    WHERE s.task_id = NEW.task_id;
    IF NEW.position IS DISTINCT FROM next_position THEN
      {refuse('a new subtask of task % comes last, at position %',
              'NEW.task_id', 'next_position')}
    END IF;
    NEW.created_at := now();
    NEW.updated_at := now();
    RETURN NEW;
  END IF;
  {which}
  END IF;
  IF step IS NULL THEN
    {refuse('% (role %) may not change subtask % from % to % that way',
            'who', 'who_role', 'OLD.id', 'OLD.status', 'NEW.status')}
  END IF;
  IF step = '{start['step']}' THEN
    IF parent_status NOT IN {in_list(start['parents'])} THEN
      {refuse(f'task % is %; its subtasks start once it is {working}',
              'OLD.task_id', 'parent_status')}
    END IF;
    SELECT s.position, s.id, s.status INTO waiting FROM subtask s
    WHERE s.task_id = OLD.task_id AND s.position < OLD.position
      AND s.status <> '{start['earlier']}'
    ORDER BY s.position LIMIT 1;
    IF FOUND THEN
      {refuse(f"subtask % waits for subtask % (%, %) to be {start['earlier']}",
              'OLD.id', 'waiting.position', 'waiting.id', 'waiting.status')}
    END IF;
  END IF;
  {clocks}
  RETURN NEW;
END $$"""


#: (table, trigger, function, events)
TRIGGERS = (("subtask", "subtask_guard", "mpo_subtask_guard", "INSERT OR UPDATE"),)
RULES_FUNCTION = "mpo_subtask_guard_rules"
FUNCTIONS = (f"{RULES_FUNCTION}()", *(f"{f}()" for _, _, f, _ in TRIGGERS))


def statements(rules: dict[str, Any], schema: str) -> list[str]:
    """The SQL that installs (or re-installs) the subtask guard for `rules`, in order."""
    out = [installed(RULES_FUNCTION, rules),
           _guard(rules).replace("{schema}", f'"{schema}"')]
    for table, trigger, function, events in TRIGGERS:
        out.append(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        out.append(f"CREATE TRIGGER {trigger} BEFORE {events} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {function}()")
    out.extend(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC" for name in FUNCTIONS)
    out.append(f"GRANT EXECUTE ON FUNCTION {RULES_FUNCTION}() TO {APP_ROLE}")
    return out

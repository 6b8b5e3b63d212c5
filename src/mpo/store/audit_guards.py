"""Every change carries its event (PostgreSQL): deferred constraint triggers, run at COMMIT.

The write guards check each row as it is written; they cannot see whether the transaction
will also write the row's audit event, which may come before or after it. So every
INSERT or UPDATE of a `task` or `subtask` row by an `mpo_app` login queues a check for
COMMIT (a constraint trigger, DEFERRABLE INITIALLY DEFERRED), which refuses the whole
transaction unless this transaction also wrote the matching `task_event`:

- a task inserted: a `create` event of it whose `to_status` is its status;
- a task updated: an event of a lifecycle action (or `undo`) whose `to_status` is the
  status the update left it in (an update done twice needs both events);
- a subtask inserted or moved: an event of its parent task for that step (`subtask_add`,
  or the step of `MOVES` leading to its new status) whose payload names the subtask and
  its `from` and `to` statuses.

"This transaction" is exact: the event row's `xmin` is the transaction's own id or one of
its subtransactions' (savepoints have ids of their own; a savepoint rolled back takes its
event with it), and its `at` the transaction's start (the event guard sets it). Each check
reads the task's events through the index `ix_task_event_task_id`; nothing is scanned. The
owner (migrations, `mpo import`) and superusers queue no check at all (the trigger's WHEN).

`rules()`, `statements()`, the frozen copy in a migration (0012) and the drift test
(`SELECT mpo_audit_guard_rules()`) work as in `mpo.store.guards`.
"""

from __future__ import annotations

from typing import Any

from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.subtasks import MOVES, Step
from mpo.store.guard_sql import APP_ROLE, in_list, installed, refuse


def rules() -> dict[str, Any]:
    """Which event matches which change, read from the core's vocabularies."""
    return {
        "task": {"create": Action.CREATE.value,
                 "moves": sorted(a.value for a in Action if a is not Action.CREATE)},
        "subtask": {"add": Step.ADD.value,
                    "moves": {step.value: move.target.value
                              for step, move in sorted(MOVES.items())}},
    }


#: True for a row written by this transaction or one of its subtransactions, given its
#: `xmin` and, for events, `at` (the event guard sets it to now(), the transaction's start;
#: a cheap first test, kept out of the query so that it reads the task_id index, not the
#: `at` one, which would list every event of a large transaction for each row checked).
#: Subtransactions' ids come after the top level's, and a row this transaction sees whose
#: transaction is still in progress can only be its own. (`pg_current_xact_id()` is the
#: top level's 64-bit id; a row's `xmin` is 32-bit.)
THIS_TRANSACTION = """CREATE OR REPLACE FUNCTION mpo_this_transaction(x xid, at timestamptz)
RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  top bigint;
  ahead bigint;
BEGIN
  IF at IS DISTINCT FROM now() THEN
    RETURN false;
  END IF;
  top := pg_current_xact_id()::text::bigint;
  ahead := (x::text::bigint - top % 4294967296 + 4294967296) % 4294967296;
  RETURN ahead = 0 OR (ahead < 2147483648
                       AND pg_xact_status((top + ahead)::text::xid8) = 'in progress');
END $$"""

#: True for the owner of `tab`, its members and superusers: no check is queued for them.
EXEMPT = """CREATE OR REPLACE FUNCTION mpo_exempt(tab regclass) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = tab),
                     'USAGE')
$$"""

#: An event of the task `{task}` written by this transaction (a fragment of a WHERE).
_FRESH = "e.task_id = {task} AND mpo_this_transaction(e.xmin, e.at)"


def _task_check(rules: dict[str, Any]) -> str:
    task = rules["task"]
    fresh = _FRESH.format(task="NEW.id")
    return f"""CREATE OR REPLACE FUNCTION mpo_task_evented() RETURNS trigger LANGUAGE plpgsql
SET search_path = {{schema}}, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM task_event e WHERE {fresh}
                 AND e.to_status = NEW.status
                 AND CASE WHEN TG_OP = 'INSERT' THEN e.action = '{task['create']}'
                          ELSE e.action IN {in_list(task['moves'])} END) THEN
    {refuse('task % became % without its event (a task_event of that change, written in '
            'the same transaction)', 'NEW.id', 'NEW.status')}
  END IF;
  RETURN NULL;
END $$"""


def _subtask_check(rules: dict[str, Any]) -> str:
    sub = rules["subtask"]
    fresh = _FRESH.format(task="NEW.task_id")
    moves = " OR ".join(f"(e.action = '{step}' AND NEW.status = '{target}')"
                        for step, target in sorted(sub["moves"].items()))
    return f"""CREATE OR REPLACE FUNCTION mpo_subtask_evented() RETURNS trigger
LANGUAGE plpgsql SET search_path = {{schema}}, pg_temp AS $$
DECLARE
  found_it boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    found_it := EXISTS (SELECT 1 FROM task_event e WHERE {fresh}
                        AND e.action = '{sub['add']}'
                        AND e.payload ->> 'subtask_id' = NEW.id::text
                        AND e.payload ->> 'to' = NEW.status);
  ELSE
    found_it := EXISTS (SELECT 1 FROM task_event e WHERE {fresh}
                        AND ({moves})
                        AND e.payload ->> 'subtask_id' = NEW.id::text
                        AND e.payload ->> 'from' = OLD.status
                        AND e.payload ->> 'to' = NEW.status);
  END IF;
  IF NOT found_it THEN
    {refuse('subtask % of task % became % without its event (a task_event of its task '
            'naming it, written in the same transaction)', 'NEW.id', 'NEW.task_id',
            'NEW.status')}
  END IF;
  RETURN NULL;
END $$"""


#: (table, trigger, function)
TRIGGERS = (
    ("task", "task_evented", "mpo_task_evented"),
    ("subtask", "subtask_evented", "mpo_subtask_evented"),
)
RULES_FUNCTION = "mpo_audit_guard_rules"
HELPERS = ("mpo_this_transaction(xid, timestamptz)", "mpo_exempt(regclass)")
FUNCTIONS = (f"{RULES_FUNCTION}()", *(f"{f}()" for _, _, f in TRIGGERS))


def statements(rules: dict[str, Any], schema: str) -> list[str]:
    """The SQL that installs (or re-installs) the deferred checks for `rules`, in order."""
    quoted = f'"{schema}"'
    out = [installed(RULES_FUNCTION, rules), THIS_TRANSACTION, EXEMPT,
           *(s.replace("{schema}", quoted) for s in (_task_check(rules),
                                                     _subtask_check(rules)))]
    for table, trigger, function in TRIGGERS:
        out.append(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        out.append(f"CREATE CONSTRAINT TRIGGER {trigger} AFTER INSERT OR UPDATE ON {table} "
                   "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                   f"WHEN (NOT mpo_exempt('{table}'::regclass)) EXECUTE FUNCTION {function}()")
    out.extend(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC" for name in (*FUNCTIONS, *HELPERS))
    # the checks run as the app login: it calls the helpers (and may read the rules)
    out.extend(f"GRANT EXECUTE ON FUNCTION {name} TO {APP_ROLE}"
               for name in (f"{RULES_FUNCTION}()", *HELPERS))
    return out

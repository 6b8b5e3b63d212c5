"""Many new tasks at once on PostgreSQL, checked as one set (issue 26).

An `mpo_app` login's INSERT runs the write guard and the event guard once per row, and
queues one deferred "has its event" check per row for COMMIT: each looks the principal up
again and reads the task or its events by index. For 100,000 tasks that was four fifths of
a bulk create (EXPLAIN ANALYZE: `task_event_guard` 7.1 s, the COMMIT's deferred checks
4.6 s, `task_guard` 1.6 s for 20,000 rows on a loaded machine).

`mpo_create_batch(tasks, events)` does the same checks once per batch. The app COPYs the
new tasks and their `create` events (`task_id`, `batch_id`, `payload`) into two temporary
tables of its own session, and the function, as the tables' owner (SECURITY DEFINER):

- refuses an unauthenticated session, a role that may not create, or stages that are not
  plain temporary tables of this session with `task`'s and `task_event`'s column types
  (read as the owner, a view, a policy or a cast would run the caller's code as the owner);
- inserts the tasks, stamping `recorded_by` with the principal and `created_at` with
  `now()` as the row guard does, and refuses the whole batch if any row is not `pending`
  with no decision, assignment or lease, is for another marketplace than a
  marketplace-bound role's own, or names a creator other than the principal (unless the
  role may create on behalf of a proposer, and it is one): the row guard's rules, read from
  the same `guards.rules()`;
- writes one `create` event per new task, in the principal's name at `now()`, and refuses
  unless the events name exactly the new tasks, once each: what the event guard and the
  deferred check ask of a create.

Row-level security still applies to the owner (the tables FORCE it); the row guards let
the owner through unchecked, having been checked here. A refusal raises SQLSTATE 42501
with the row guard's message, so mpo reports it the same way (exit 4), and nothing of the
batch is left: it is one statement of the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table

from mpo.core.domain.vocabulary import Action
from mpo.store.bulk import convert, copied
from mpo.store.guard_sql import APP_ROLE, DECLARE_WHO, WHO, in_list, refuse

#: The function's signature, as GRANT and DROP name it.
SIGNATURE = "mpo_create_batch(regclass, regclass)"
#: The event columns the app gives; the function sets the rest.
EVENT_COLUMNS = ("task_id", "batch_id", "payload")


def function(rules: dict[str, Any]) -> str:
    """`CREATE OR REPLACE FUNCTION mpo_create_batch` for the guards' `rules`."""
    create = rules["create"]
    stamped = sorted({c for t in rules["transitions"].values() for c in t["stamps"]})
    undecided = " AND ".join(f"{c} IS NULL" for c in stamped) or "true"
    bound = in_list(rules["marketplace_bound"])
    return f"""CREATE OR REPLACE FUNCTION mpo_create_batch(tasks regclass, events regclass)
RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = {{schema}}, pg_temp AS $$
DECLARE{DECLARE_WHO}
  cols text;
  proposers text[];
  made record;
  matched boolean;
BEGIN{WHO}
  IF who_role NOT IN {in_list(create['roles'])} THEN
    {refuse('% (role %) may not create tasks', 'who', 'who_role')}
  END IF;
  -- Read as the owner, a stage must run none of the caller's code: a plain temporary
  -- table of this session (no view, no policy), each column of its table's own type (no
  -- cast of the caller's), and only columns its table has.
  IF EXISTS (SELECT 1 FROM pg_class c WHERE c.oid IN (tasks, events)
             AND (c.relpersistence <> 't' OR c.relnamespace <> pg_my_temp_schema()
                  OR c.relkind <> 'r' OR c.relrowsecurity))
     OR EXISTS (SELECT 1 FROM pg_attribute a
                WHERE a.attrelid IN (tasks, events) AND a.attnum > 0 AND NOT a.attisdropped
                  AND NOT EXISTS (
                    SELECT 1 FROM pg_attribute t
                    WHERE t.attrelid = CASE WHEN a.attrelid = tasks THEN 'task'::regclass
                                            ELSE 'task_event'::regclass END
                      AND t.attname = a.attname AND t.atttypid = a.atttypid
                      AND t.attnum > 0 AND NOT t.attisdropped)) THEN
    {refuse('mpo_create_batch reads plain temporary tables of this session, shaped like '
            'task and task_event, only')}
  END IF;
  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
  FROM pg_attribute a JOIN pg_attribute t ON t.attrelid = 'task'::regclass
       AND t.attname = a.attname AND t.attnum > 0 AND NOT t.attisdropped
  WHERE a.attrelid = tasks AND a.attnum > 0 AND NOT a.attisdropped
    AND a.attname NOT IN ('recorded_by', 'created_at');
  proposers := CASE WHEN who_role IN {in_list(create['on_behalf'])}
                    THEN ARRAY(SELECT mpo_proposers()) ELSE ARRAY[]::text[] END;
  EXECUTE format(
    'WITH new AS (INSERT INTO task (%1$s, recorded_by, created_at)
                  SELECT %1$s, $1, now() FROM ONLY %2$s RETURNING *)
     SELECT count(*) AS n,
            coalesce(bool_or(status IS DISTINCT FROM %3$L OR NOT ({undecided})), false)
              AS decided,
            coalesce(bool_or(marketplace IS DISTINCT FROM $2), false) AS elsewhere,
            min(created_by) FILTER (WHERE created_by IS DISTINCT FROM $1
                                    AND NOT coalesce(created_by = ANY ($3), false))
              AS stranger
     FROM new', cols, tasks, '{create['status']}')
    INTO made USING who, who_market, proposers;
  IF made.decided THEN
    {refuse(f"a new task is {create['status']}, with no decision or assignment")}
  END IF;
  IF who_role IN {bound} AND made.elsewhere THEN
    {refuse('% may only create tasks for marketplace %', 'who', 'who_market')}
  END IF;
  IF made.stranger IS NOT NULL THEN
    {refuse('% may not create tasks as %', 'who', 'made.stranger')}
  END IF;
  EXECUTE format(
    'SELECT count(*) = $1 AND count(DISTINCT e.task_id) = $1
            AND coalesce(bool_and(t.id IS NOT NULL), true)
     FROM ONLY %1$s e LEFT JOIN ONLY %2$s t ON t.id = e.task_id', events, tasks)
    INTO matched USING made.n;
  IF matched IS NOT TRUE THEN
    {refuse('a batch of new tasks needs one create event of each, and no other')}
  END IF;
  EXECUTE format(
    'INSERT INTO task_event (task_id, batch_id, actor, action, from_status, to_status,
                             reason, at, payload)
     SELECT e.task_id, e.batch_id, $1, %2$L, NULL, %3$L, NULL, now(), e.payload
     FROM ONLY %1$s e', events, '{Action.CREATE.value}', '{create['status']}')
    USING who;
  RETURN made.n;
END $$"""


def statements(rules: dict[str, Any], schema: str) -> list[str]:
    """The SQL that installs (or re-installs) `mpo_create_batch` for `rules`."""
    return [function(rules).replace("{schema}", f'"{schema}"'),
            f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC",
            f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {APP_ROLE}"]


def create(connection: Connection, tasks: Table, names: list[str], rows: list[list[Any]],
           events: Table, logged: list[list[Any]]) -> None:
    """Insert `rows` (columns `names` of `tasks`) and their create events (`logged`:
    `EVENT_COLUMNS` of `events`) through `mpo_create_batch`."""
    convert(connection, tasks, names, rows)
    convert(connection, events, list(EVENT_COLUMNS), logged)
    new = copied(connection, tasks, names, rows)
    made = copied(connection, events, list(EVENT_COLUMNS), logged)
    # The function runs as the tables' owner, which may read another role's temporary
    # table only if given it (a superuser reads it anyway).
    owner = connection.exec_driver_sql(
        "SELECT quote_ident(pg_get_userbyid(relowner)) FROM pg_class "
        "WHERE oid = 'task'::regclass").scalar()
    connection.exec_driver_sql(f"GRANT SELECT ON {new}, {made} TO {owner}")
    connection.exec_driver_sql(f"SELECT mpo_create_batch('{new}', '{made}')")
    connection.exec_driver_sql(f"DROP TABLE {new}, {made}")

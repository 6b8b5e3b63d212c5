"""The SQL of the archive move (`mpo archive`): one chunk of terminal tasks and their events
copied to the archive tables and deleted from the live ones, in the caller's transaction.

Both databases run the same statements: SQLite from `mpo.store.archive`, PostgreSQL inside
`mpo_archive_move`, a SECURITY DEFINER function (the app role may neither delete events nor
write the archive; the function checks the caller is an admin and records the chunk). The
audit log's append-only triggers let an event go only once its identical copy is archived.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, Table

from mpo.core.domain.lifecycle import TERMINAL
from mpo.core.tables.models import Task, TaskEvent
from mpo.store.guard_sql import APP_ROLE, in_list, refuse

TASK: Table = Task.__table__  # type: ignore[attr-defined]
EVENT: Table = TaskEvent.__table__  # type: ignore[attr-defined]

#: When a task became terminal (only one of them is set on a terminal task).
ENDED = "coalesce(completed_at, rejected_at, cancelled_at)"


def due(limit: str, lock: str = "", ordered: bool = False) -> str:
    """The ids of the next `limit` tasks due: terminal, ended before `:cutoff`, with no
    subtasks (their steps stay with them, live). A chunk takes them in the order of the
    status index (oldest created first), so each chunk reads about as many rows as it
    moves; sorting by when they ended (`ordered`, the dry run's list) reads them all."""
    order = f" ORDER BY {ENDED}, id" if ordered else ""
    return (f"SELECT id FROM task WHERE status IN {in_list(sorted(TERMINAL))} "
            f"AND {ENDED} < :cutoff AND NOT EXISTS "
            "(SELECT 1 FROM subtask s WHERE s.task_id = task.id)"
            f"{order} LIMIT {limit}{lock}")


def _names(table: Table) -> str:
    return ", ".join(c.name for c in table.columns)


def copy_tasks(ids: str) -> str:
    """The tasks `ids` into the archive, stamped with `:now` and `:batch`."""
    return (f"INSERT INTO task_archive ({_names(TASK)}, archived_at, archive_batch) "
            f"SELECT {_names(TASK)}, :now, :batch FROM task WHERE id {ids}")


def copy_events(ids: str) -> str:
    return (f"INSERT INTO task_event_archive ({_names(EVENT)}) "
            f"SELECT {_names(EVENT)} FROM task_event WHERE task_id {ids}")


def count_events(ids: str) -> str:
    return f"SELECT count(*) FROM task_event WHERE task_id {ids}"


def deletes(ids: str) -> list[str]:
    """Events first (they refer to their task), then the tasks."""
    return [f"DELETE FROM task_event WHERE task_id {ids}", f"DELETE FROM task WHERE id {ids}"]


def same_row(table: Table, sqlite: bool = False) -> str:
    """Archived row `a` is a copy of `OLD` in every column (PostgreSQL compares JSON as
    text: it has no `=`; SQLite spells IS NOT DISTINCT FROM as IS)."""
    def spelt(name: str, column_type: object) -> str:
        return f"CAST({name} AS TEXT)" if isinstance(column_type, JSON) and not sqlite else name

    same = " IS " if sqlite else " IS NOT DISTINCT FROM "
    return " AND ".join(spelt(f"a.{c.name}", c.type) + same + spelt(f"OLD.{c.name}", c.type)
                        for c in table.columns)


#: The archive and the run record only grow.
APPEND_ONLY = ("task_archive", "task_event_archive", "archive_batch")


def sqlite_triggers() -> list[str]:
    """The audit log lets an event go only once archived, unchanged; the archive only grows."""
    moved = (f"NOT EXISTS (SELECT 1 FROM task_event_archive a WHERE a.id = OLD.id AND "
             f"{same_row(EVENT, sqlite=True)})")
    out = ["DROP TRIGGER task_event_no_delete",
           "CREATE TRIGGER task_event_no_delete BEFORE DELETE ON task_event "
           f"WHEN {moved} BEGIN SELECT RAISE(ABORT, 'task_event is append-only'); END"]
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            out.append(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
    return out


def sqlite_drops() -> list[str]:
    return [f"DROP TRIGGER {table}_no_{verb}" for table in APPEND_ONLY
            for verb in ("update", "delete")]


#: PostgreSQL: an event may be deleted only when its identical copy is in the archive.
EVENT_MOVED = f"""CREATE OR REPLACE FUNCTION mpo_event_moved() RETURNS trigger
LANGUAGE plpgsql SET search_path = {{schema}}, pg_temp AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM task_event_archive a
      WHERE a.id = OLD.id AND {same_row(EVENT)}) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$"""


def move_function() -> str:
    """`mpo_archive_move(run, cutoff, n)`: one chunk, as the owner, for an admin."""
    ids = "= ANY(chosen)"
    body = [copy_tasks(ids), copy_events(ids), *deletes(ids)]
    body = [s.replace(":now", "now()").replace(":batch", "b") for s in body]
    return f"""CREATE OR REPLACE FUNCTION mpo_archive_move(run uuid, cutoff timestamptz, n integer)
RETURNS TABLE(batch integer, tasks integer, events integer) LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = {{schema}}, pg_temp AS $$
DECLARE
  chosen uuid[];
  b integer;
  t integer;
  e integer;
  moved integer;
BEGIN
  IF (SELECT mpo_principal_role()) IS DISTINCT FROM 'admin' THEN
    {refuse('archive: only an admin may archive')}
  END IF;
  SELECT array_agg(d.id) INTO chosen FROM ({due('n', ' FOR UPDATE SKIP LOCKED')
                                           .replace(':cutoff', 'cutoff')}) d;
  IF chosen IS NULL THEN
    RETURN QUERY SELECT NULL::integer, 0, 0;
    RETURN;
  END IF;
  t := cardinality(chosen);
  e := ({count_events(ids)});
  INSERT INTO archive_batch (run_id, actor, at, cutoff, tasks, events)
    VALUES (run, mpo_principal_name(), now(), cutoff, t, e) RETURNING id INTO b;
  {body[0]};
  {body[1]};
  GET DIAGNOSTICS moved = ROW_COUNT;
  IF moved <> e THEN
    RAISE EXCEPTION 'mpo: archive moved % events of %, expected %', moved, t, e;
  END IF;
  {body[2]};
  {body[3]};
  RETURN QUERY SELECT b, t, e;
END $$"""


def mirrored(expression: str) -> str:
    """A live table's policy expression, reading the archive tables instead."""
    expression = re.sub(r"\btask_event\b", "task_event_archive", expression)
    return re.sub(r"\btask\b", "task_archive", expression)


def policies(live: Iterable[tuple[str, str, str]]) -> list[str]:
    """The archive's read policies: each SELECT policy of `task` and `task_event`, given as
    (table, name, expression), on its archive table. Generated from the live policies, so
    whatever scopes a task (marketplace, team) scopes it archived; the archive's writes are
    the owner's (the move function), checked by `WRITES`."""
    out = []
    for table, name, expression in live:
        target = f"{table}_archive"
        out.append(f"DROP POLICY IF EXISTS {name}_archived ON {target}")
        out.append(f"CREATE POLICY {name}_archived ON {target} FOR SELECT "
                   f"USING ({mirrored(expression)})")
    return out


def mirror(connection: Any) -> list[str]:
    """The statements that (re)install the archive's read policies from the live ones a
    database has now: run them in any migration that changes `task`'s or `task_event`'s
    read policies (teams, say), as 0025 does; tests/archive checks they agree."""
    return policies([(str(t), str(n), str(e))
                     for t, n, e in connection.exec_driver_sql(LIVE_POLICIES)])


#: The live SELECT policies the archive mirrors.
LIVE_POLICIES = """SELECT c.relname, p.polname, pg_get_expr(p.polqual, p.polrelid)
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
WHERE c.relname IN ('task', 'task_event') AND p.polcmd = 'r'
  AND c.relnamespace = current_schema()::regnamespace ORDER BY c.relname, p.polname"""

ADMIN = "(SELECT mpo_principal_role()) = 'admin'"
WRITES = (
    # The move (the owner, in `mpo_archive_move`, for an admin): rows leave the live tables
    # only once archived, and enter the archive only for an admin.
    "CREATE POLICY task_archived ON task FOR DELETE USING "
    "(EXISTS (SELECT 1 FROM task_archive a WHERE a.id = task.id))",
    "CREATE POLICY task_event_archived ON task_event FOR DELETE USING "
    "(EXISTS (SELECT 1 FROM task_event_archive a WHERE a.id = task_event.id))",
    f"CREATE POLICY task_archive_move ON task_archive FOR INSERT WITH CHECK ({ADMIN})",
    f"CREATE POLICY task_event_archive_move ON task_event_archive FOR INSERT "
    f"WITH CHECK ({ADMIN})",
    f"CREATE POLICY archive_batch_read ON archive_batch FOR SELECT USING ({ADMIN})",
    f"CREATE POLICY archive_batch_move ON archive_batch FOR INSERT WITH CHECK ({ADMIN})",
)


def pg_statements(connection: Any, schema: str) -> list[str]:
    """Everything PostgreSQL needs: security, policies, triggers, the move function."""
    quoted = f'"{schema}"'
    out = [f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY" for t in APPEND_ONLY]
    out += [f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY" for t in APPEND_ONLY]
    out += mirror(connection)
    out += WRITES
    out += [f"GRANT SELECT ON {', '.join(APPEND_ONLY)} TO {APP_ROLE}",
            EVENT_MOVED.replace("{schema}", quoted),
            "DROP TRIGGER task_event_append_only ON task_event",
            "CREATE TRIGGER task_event_append_only BEFORE UPDATE OR DELETE ON task_event "
            "FOR EACH ROW EXECUTE FUNCTION mpo_event_moved()"]
    out += [f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION mpo_append_only()" for t in APPEND_ONLY]
    out += [move_function().replace("{schema}", quoted),
            "REVOKE ALL ON FUNCTION mpo_archive_move(uuid, timestamptz, integer) FROM PUBLIC",
            f"GRANT EXECUTE ON FUNCTION mpo_archive_move(uuid, timestamptz, integer) "
            f"TO {APP_ROLE}",
            "REVOKE ALL ON FUNCTION mpo_event_moved() FROM PUBLIC"]
    return out

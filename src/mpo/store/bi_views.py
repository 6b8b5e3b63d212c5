"""The BI views (docs/bi.md): `bi_tasks`, `bi_events` and `bi_daily`, the same names,
columns and meaning on SQLite and PostgreSQL, for Metabase, Superset or a spreadsheet.

Their columns are a contract (docs/bi.md, checked by tests/store/test_bi_contract.py);
`bi_daily` counts what `mpo stats` counts, each event on the UTC day of its own stamp.
On PostgreSQL the group role `mpo_bi` may read these views and nothing else: the views run
with their owner's rights, and two read policies let the owner's row-level security show
every row when the one asking is in `mpo_bi` (issue 25).

A view pins the columns it reads (and SQLite's batch mode cannot recreate a table a view
reads), so the views are no migration's: `mpo.store.migrate` drops them before any
migration runs and makes them again (`install`) once the schema is at head. A migration
may alter `task` or `task_event`, or re-install their policies, without knowing about the
views; a change to the views is a change to this module, applied by the next upgrade.
"""

from __future__ import annotations

from typing import Any

from mpo.store import group_roles

BI_ROLE = "mpo_bi"
VIEWS = ("bi_tasks", "bi_events", "bi_daily")
#: The read policies that let `mpo_bi` see every row through the views (only through them:
#: the role has no grant on the tables).
POLICIES = {"task": "task_bi_read", "task_event": "task_event_bi_read"}


class Dialect:
    """The few expressions SQLite and PostgreSQL spell differently."""

    def __init__(self, name: str) -> None:
        self.sqlite = name == "sqlite"

    def real(self, expr: str) -> str:
        return f"CAST({expr} AS {'REAL' if self.sqlite else 'double precision'})"

    def integer(self, expr: str) -> str:
        return f"CAST({expr} AS {'INTEGER' if self.sqlite else 'bigint'})"

    def hours(self, start: str, end: str) -> str:
        """Hours from `start` to `end`, as `mpo stats` computes them (stats_sql)."""
        if self.sqlite:
            return f"((julianday({end}) - julianday({start})) * 24)"
        return f"(date_part('epoch', {end} - {start}) / 3600.0)"

    def day(self, stamp: str) -> str:
        """The UTC day of a stamp (SQLite stores naive UTC text)."""
        return f"date({stamp})" if self.sqlite else f"CAST(({stamp} AT TIME ZONE 'UTC') AS date)"

    def uuid(self, column: str) -> str:
        """A UUID as text with dashes (SQLite stores 32 hex digits)."""
        if not self.sqlite:
            return f"CAST({column} AS text)"
        parts = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        return "lower(" + " || '-' || ".join(f"substr({column}, {a}, {n})"
                                             for a, n in parts) + ")"

    def text(self, column: str) -> str:
        return column if self.sqlite else f"CAST({column} AS text)"


def _accuracy() -> str:
    """`stats_sql.accuracy`: max(0, 1 - |actual - estimated| / estimated)."""
    miss = "abs(actual_hours - estimated_hours)"
    return f"CASE WHEN {miss} >= estimated_hours THEN 0.0 ELSE 1.0 - {miss} / estimated_hours END"


def _within_20() -> str:
    return "abs(actual_hours - estimated_hours) <= 0.2 * estimated_hours"


def tasks(d: Dialect) -> str:
    """One row per task: who, what, where it stands, its stamps and its durations."""
    done = "completed_at IS NOT NULL AND actual_hours IS NOT NULL"
    decided = "COALESCE(approved_at, rejected_at)"
    return f"""CREATE VIEW bi_tasks AS SELECT
  {d.uuid('id')} AS id, marketplace, created_by AS agent, title, category, priority,
  status, assigned_to, listing_id, campaign,
  {d.real('estimated_hours')} AS estimated_hours, {d.real('actual_hours')} AS actual_hours,
  rejection_code, rejection_reason,
  created_at, submitted_at, {decided} AS decided_at, approved_at, rejected_at,
  started_at, completed_at, cancelled_at, due_date, {d.day('created_at')} AS created_day,
  CASE WHEN approved_at IS NOT NULL THEN 'approved'
       WHEN rejected_at IS NOT NULL THEN 'rejected' END AS decision,
  {d.real(d.hours('submitted_at', decided))} AS turnaround_hours,
  {d.real(d.hours('started_at', 'completed_at'))} AS execution_hours,
  {d.real(d.hours('approved_at', 'completed_at'))} AS approved_to_completed_hours,
  CASE WHEN {done} THEN {d.real('actual_hours - estimated_hours')} END
    AS estimate_error_hours,
  CASE WHEN {done} THEN {d.real('actual_hours')} / estimated_hours END AS estimate_ratio,
  CASE WHEN {done} THEN {d.real(_accuracy())} END AS accuracy,
  CASE WHEN {done} THEN (CASE WHEN {_within_20()} THEN 1 ELSE 0 END) END AS within_20
FROM task"""


def events(d: Dialect) -> str:
    """The audit log, one row per event."""
    return f"""CREATE VIEW bi_events AS SELECT
  {d.integer('id')} AS id, {d.uuid('task_id')} AS task_id, at, {d.day('at')} AS day,
  actor, action, from_status, to_status, reason, {d.text('payload')} AS payload
FROM task_event"""


#: (name, stamp) of each counted event, in column order, as `stats_sql.STAMPS`.
EVENTS = (("created", "created_at"), ("submitted", "submitted_at"),
          ("approved", "approved_at"), ("rejected", "rejected_at"),
          ("started", "started_at"), ("completed", "completed_at"))


def daily(d: Dialect) -> str:
    """One row per UTC day x marketplace x agent: the counts and sums `mpo stats` adds up,
    each event on the day of its own stamp, and the row's rates."""
    zero, one = d.integer("0"), d.integer("1")
    nothing = d.real("0")
    parts = []
    for name, stamp in EVENTS:
        flags = [one if n == name else zero for n, _ in EVENTS]
        sums = [d.real("estimated_hours") if name == "created" else nothing,
                nothing, zero, zero, nothing]
        if name == "completed":
            executed = "started_at IS NOT NULL"
            sums = [nothing, d.real(_accuracy()),
                    f"CASE WHEN {_within_20()} THEN {one} ELSE {zero} END",
                    f"CASE WHEN {executed} THEN {one} ELSE {zero} END",
                    f"COALESCE({d.real(d.hours('started_at', 'completed_at'))}, {nothing})"]
        parts.append(f"SELECT {d.day(stamp)} AS day, marketplace, created_by AS agent, "
                     + ", ".join(f"{v} AS {n}" for v, n in zip(
                         flags + sums, [n for n, _ in EVENTS] + list(SUM_NAMES), strict=True))
                     + f" FROM task WHERE {stamp} IS NOT NULL")
    counts = ",\n  ".join(f"{d.integer(f'SUM({n})')} AS {n}" for n, _ in EVENTS)

    def ratio(part: str, whole: str) -> str:
        return f"{d.real(f'SUM({part})')} / NULLIF(SUM({whole}), 0)"

    return f"""CREATE VIEW bi_daily AS SELECT day, marketplace, agent,
  {counts},
  {d.integer('SUM(approved) + SUM(rejected)')} AS decided,
  {d.real('SUM(estimated)')} AS estimated_hours,
  {d.real('SUM(accuracy)')} AS accuracy_sum,
  {d.integer('SUM(within_20)')} AS within_20,
  {d.integer('SUM(executed)')} AS executed,
  {d.real('SUM(execution)')} AS execution_hours,
  {d.real('SUM(approved)')} / NULLIF(SUM(approved) + SUM(rejected), 0) AS approval_rate,
  {ratio('estimated', 'created')} AS mean_estimated_hours,
  {ratio('accuracy', 'completed')} AS accuracy_mean,
  {ratio('within_20', 'completed')} AS within_20_share,
  {ratio('execution', 'executed')} AS mean_execution_hours
FROM ({' UNION ALL '.join(parts)}) AS e
GROUP BY day, marketplace, agent"""


#: The per-event sums of `daily`'s inner rows, after the six flags.
SUM_NAMES = ("estimated", "accuracy", "within_20", "executed", "execution")


def create(connection: Any) -> None:
    """Make the views (and, on PostgreSQL, let `mpo_bi` read them)."""
    d = Dialect(connection.dialect.name)
    for statement in (tasks(d), events(d), daily(d)):
        connection.exec_driver_sql(statement)
    if not d.sqlite:
        connection.exec_driver_sql(f"GRANT SELECT ON {', '.join(VIEWS)} TO {BI_ROLE}")
        _grant_policy_functions(connection)


def install(connection: Any) -> None:
    """Make the views as this mpo defines them, once the schema is at head (after `drop`
    and the migrations); on PostgreSQL install `mpo_bi`'s policies and grants again too,
    so a revision that re-installed the tables' policies (or added functions they call)
    leaves `mpo_bi` reading every row."""
    if connection.dialect.name == "postgresql":
        install_access(connection)
    create(connection)


def _grant_policy_functions(connection: Any) -> None:
    for function in connection.exec_driver_sql(READ_POLICY_FUNCTIONS).scalars():
        connection.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {function} TO {BI_ROLE}")


#: mpo's functions the read policies of the views' tables call. PostgreSQL checks the
#: right to execute every function of every policy on the table (permissive policies are
#: OR-ed), as the session's role: a BI login needs them, and they tell it nothing (they
#: read the principal an mpo token authenticated in this transaction: none). Read from
#: the policies' dependencies, so a later migration's policies are covered.
READ_POLICY_FUNCTIONS = """SELECT DISTINCT d.refobjid::regprocedure::text
FROM pg_depend d JOIN pg_policy p ON d.classid = 'pg_policy'::regclass AND d.objid = p.oid
JOIN pg_proc f ON f.oid = d.refobjid
WHERE d.refclassid = 'pg_proc'::regclass AND p.polcmd IN ('r', '*')
  AND p.polrelid IN ('task'::regclass, 'task_event'::regclass)
  AND f.pronamespace = current_schema()::regnamespace"""


def drop(connection: Any) -> None:
    """Remove the views (their grants go with them)."""
    for view in reversed(VIEWS):
        connection.exec_driver_sql(f"DROP VIEW IF EXISTS {view}")


def present(connection: Any) -> bool:
    """Whether this database has the views."""
    if connection.dialect.name == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = 'bi_tasks'"
    else:
        sql = ("SELECT count(*) FROM pg_views WHERE viewname = 'bi_tasks' "
               "AND schemaname = current_schema()")
    return bool(connection.exec_driver_sql(sql).scalar())


def install_access(connection: Any) -> None:
    """PostgreSQL: the `mpo_bi` group role (made unless a DBA did) and the read policies
    that show it every row through the views. `task` and `task_event` force row-level
    security on their owner, whose rights the views run with; the policies test the
    session's role, which stays the BI login's inside a view."""
    group_roles.ensure(connection, BI_ROLE)
    member = f"(SELECT pg_has_role(current_user, '{BI_ROLE}', 'USAGE'))"
    for table, policy in POLICIES.items():
        connection.exec_driver_sql(f"DROP POLICY IF EXISTS {policy} ON {table}")
        connection.exec_driver_sql(
            f"CREATE POLICY {policy} ON {table} FOR SELECT USING ({member})")


def remove_access(connection: Any) -> None:
    """Undo `install_access` (the cluster-wide role stays: other databases may use it)."""
    for table, policy in POLICIES.items():
        connection.exec_driver_sql(f"DROP POLICY IF EXISTS {policy} ON {table}")

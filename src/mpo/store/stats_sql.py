"""The SQL of `mpo stats`, built once for SQLite and PostgreSQL alike where it can be.

Every event of the lifecycle has its own stamp on the task (`created_at` ... `completed_at`),
so "approved in the window" is `approved_at` in [since, until): one table, no joins. The
few dialect differences (hours between two stamps, percentiles) are spelt out here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Select,
    TextClause,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    union_all,
    values,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.expression import BindParameter, ColumnClause, TextualSelect
from sqlmodel import SQLModel

from mpo.core.domain.stats_query import By, StatsQuery
from mpo.core.domain.vocabulary import Status
from mpo.core.tables.timestamps import UTCDateTime

task = SQLModel.metadata.tables["task"]
c = task.c

#: The stamp of each counted event, in `Tally` field order.
STAMPS: dict[str, Any] = {
    "created": c.created_at,
    "submitted": c.submitted_at,
    "approved": c.approved_at,
    "rejected": c.rejected_at,
    "started": c.started_at,
    "completed": c.completed_at,
}
#: The columns `--by` groups on (day is not a column: see `days`).
GROUP_COLUMNS = {By.MARKETPLACE: c.marketplace, By.AGENT: c.created_by,
                 By.CATEGORY: c.category, By.PRIORITY: c.priority, By.ASSIGNEE: c.assigned_to,
                 By.LISTING: c.listing_id}
#: The cube's grouping, in the order of SQLite's covering index `ix_task_stats_cube`
#: (`listing_id`, last, is outside it: only `--by listing` groups on it).
CUBE_KEYS = (c.marketplace, c.created_by, c.category, c.priority, c.assigned_to, c.listing_id)
SUMS = ("estimated_hours", "accuracy", "within_20", "executed", "execution_hours")


def decided_at() -> ColumnElement[Any]:
    """When a task was approved or rejected."""
    return func.coalesce(c.approved_at, c.rejected_at)


def within(stamp: ColumnElement[Any], q: StatsQuery) -> ColumnElement[bool]:
    """The half-open window: since <= stamp < until (an event at `until` is the next one's)."""
    return and_(stamp >= q.window.since, stamp < q.window.until)


def chosen(q: StatsQuery) -> ColumnElement[bool]:
    """The marketplaces filter (everything when none was given)."""
    if not q.marketplaces:
        return true()
    return c.marketplace.in_(q.marketplaces)


def accuracy() -> ColumnElement[float]:
    """`mpo.core.domain.lifecycle.accuracy` in SQL: max(0, 1 - |actual - estimated| / estimated)."""
    miss = func.abs(c.actual_hours - c.estimated_hours)
    return case((miss >= c.estimated_hours, 0.0), else_=1.0 - miss / c.estimated_hours)


def within_20() -> ColumnElement[bool]:
    """Completed within 20% of the estimate."""
    return func.abs(c.actual_hours - c.estimated_hours) <= 0.2 * c.estimated_hours


def measures(q: StatsQuery, sqlite: bool) -> list[ColumnElement[Any]]:
    """The window's counts and sums, one aggregate each, filtered by its own stamp."""
    done = within(c.completed_at, q)
    executed = and_(done, c.started_at.is_not(None))
    hours = (sqlite_hours(c.started_at, c.completed_at) if sqlite
             else hours_between(c.started_at, c.completed_at))
    return [
        *(func.count().filter(within(stamp, q)).label(name) for name, stamp in STAMPS.items()),
        func.sum(c.estimated_hours).filter(within(c.created_at, q)).label("estimated_hours"),
        func.sum(accuracy()).filter(done).label("accuracy"),
        func.count().filter(and_(done, within_20())).label("within_20"),
        func.count().filter(executed).label("executed"),
        func.sum(hours).filter(executed).label("execution_hours"),
    ]


def last_event() -> Select[Any]:
    """The newest audit event's id and archive chunk's: every change of a task appends an
    event in its transaction, every archive chunk a record, and SQLite commits one writer
    at a time, so equal pairs mean equal snapshots."""
    batch = SQLModel.metadata.tables["archive_batch"]
    return select(func.max(SQLModel.metadata.tables["task_event"].c.id),
                  select(func.max(batch.c.id)).scalar_subquery())


def spread_counts(q: StatsQuery) -> Select[Any]:
    """How many tasks were decided, and completed, in the window: the n of each spread."""
    def count(stamp: ColumnElement[Any]) -> Any:
        return select(func.count()).where(within(stamp, q), chosen(q)).scalar_subquery()

    return select(count(c.approved_at) + count(c.rejected_at), count(c.completed_at))


def statuses(q: StatsQuery) -> Select[Any]:
    """How many tasks are in each status now."""
    return select(c.status, func.count()).where(chosen(q)).group_by(c.status)


def tallies(q: StatsQuery, prefilter: ColumnElement[bool] | None, sqlite: bool
            ) -> Select[Any]:
    """Window counts per cube cell, rolled up in SQL to the total, per marketplace, per
    agent and per `--by` column. Rows: (kind, key, counts..., sums...)."""
    # Group by a prefix of the covering index, as long as the --by column needs: the cells
    # then arrive in index order and stream through the aggregates without a sort.
    names = [key.name for key in CUBE_KEYS]
    needed = names.index(GROUP_COLUMNS[q.by].name) + 1 if q.by in GROUP_COLUMNS else 0
    keys = CUBE_KEYS[:max(2, needed)]
    cube = (select(*keys, *measures(q, sqlite))
            .where(chosen(q), prefilter if prefilter is not None else true())
            .group_by(*keys).cte("cube"))

    def rollup(kind: str, key: ColumnElement[Any] | None) -> Select[Any]:
        counts = [cast(func.coalesce(func.sum(cube.c[n]), 0), BigInteger) for n in STAMPS]
        sums = [cast(func.coalesce(func.sum(cube.c[n]), 0), Float) for n in SUMS]
        stmt = select(literal_column(f"'{kind}'").label("kind"),
                      (key if key is not None else cast(null(), cube.c.marketplace.type)
                       ).label("key"), *counts, *sums)
        if key is None:
            return stmt
        # A group is in the report when something happened to it in the window, whether
        # the cube read every task (SQLite, long windows) or only those (otherwise).
        return stmt.group_by(key).having(or_(*(func.sum(cube.c[n]) > 0 for n in STAMPS)))

    parts = [rollup("total", None), rollup(By.MARKETPLACE.value, cube.c.marketplace),
             rollup(By.AGENT.value, cube.c.created_by)]
    if q.by not in (By.MARKETPLACE, By.AGENT, By.DAY):
        parts.append(rollup(q.by.value, cube.c[GROUP_COLUMNS[q.by].name]))
    return union_all(*parts)  # type: ignore[return-value]


def in_window_ids(q: StatsQuery, key: ColumnClause[Any]) -> ColumnElement[bool]:
    """`key IN` the tasks with any event in the window, found through the stamp indexes:
    how a short window reads a few rows instead of the whole cube."""
    parts = [select(key).select_from(task).where(within(stamp, q)) for stamp in STAMPS.values()]
    return key.in_(parts[0].union(*parts[1:]))


def any_in_window(q: StatsQuery) -> ColumnElement[bool]:
    """The tasks with any event in the window, as one OR (PostgreSQL plans it itself)."""
    return or_(*(within(stamp, q) for stamp in STAMPS.values()))


def day_table(q: StatsQuery) -> Any:
    """The window's local days as a VALUES table: (day, lo, hi) with UTC edges (a CTE:
    SQLite does not name the columns of a VALUES subquery)."""
    return values(column("day", c.marketplace.type),
                  column("lo", UTCDateTime()), column("hi", UTCDateTime()),
                  name="days").data([(d.day.isoformat(), d.since, d.until)
                                     for d in q.window.days]).cte("days")


def days(q: StatsQuery, sqlite: bool) -> Select[Any]:
    """The same counts and sums per local day, each event on the day of its own stamp:
    correlated aggregates over index ranges, one walk per stamp and day (no sort of the
    rows). A walk that yields several values packs them in a JSON array.
    Rows: (day, [created, estimated hours], submitted, approved, rejected, started,
    [completed, accuracy, within 20%])."""
    d = day_table(q)
    pack = func.json_array if sqlite else func.json_build_array

    def per_day(stamp: ColumnElement[Any], *aggregates: Any) -> Any:
        value = aggregates[0] if len(aggregates) == 1 else pack(*aggregates)
        return select(value).where(stamp >= d.c.lo, stamp < d.c.hi, chosen(q)
                                   ).scalar_subquery()

    return select(
        d.c.day,
        per_day(c.created_at, func.count(), func.sum(c.estimated_hours)),
        *(per_day(STAMPS[name], func.count())
          for name in ("submitted", "approved", "rejected", "started")),
        per_day(c.completed_at, func.count(), func.sum(accuracy()),
                func.count().filter(within_20())),
    ).order_by(d.c.day)


def volume(q: StatsQuery, marketplaces: Sequence[str]) -> Select[Any]:
    """Tasks created per local day per marketplace, zeros included."""
    d = day_table(q)
    m = values(column("name", c.marketplace.type), name="m").data(
        [(n,) for n in marketplaces]).cte("m")
    created = (select(func.count())
               .where(c.marketplace == m.c.name, c.created_at >= d.c.lo,
                      c.created_at < d.c.hi).scalar_subquery())
    return (select(d.c.day, m.c.name, created).select_from(d.join(m, true()))
            .order_by(d.c.day, m.c.name))


def reason_codes(q: StatsQuery) -> Select[Any]:
    """Rejections in the window per reason code, most frequent first."""
    n = func.count()
    return (select(c.rejection_code, n).where(within(c.rejected_at, q), chosen(q))
            .group_by(c.rejection_code).order_by(n.desc(), c.rejection_code))


def reasons(q: StatsQuery) -> Select[Any]:
    """The most frequent free-text rejection reasons in the window."""
    n = func.count()
    return (select(c.rejection_reason, n)
            .where(c.rejection_reason.is_not(None), within(c.rejected_at, q), chosen(q))
            .group_by(c.rejection_reason).order_by(n.desc(), c.rejection_reason)
            .limit(q.top_reasons))


#: (status, stamp, the partial index of the tasks in that status, ordered by the stamp).
WAITING = {
    Status.AWAITING_APPROVAL: ("submitted_at", "ix_task_awaiting_since"),
    Status.IN_PROGRESS: ("started_at", "ix_task_in_progress_since"),
}


def waiting(q: StatsQuery, status: Status, sqlite: bool) -> tuple[TextualSelect, TextClause]:
    """The task longest in `status`, and how many wait since before `:stale_before`, both
    from the small partial index of that status. Text, because SQLite must be told that
    index (without statistics it prefers the status index and a sort) and a partial index
    only serves a query that names its status as a literal."""
    stamp, index = WAITING[status]
    source = f"task INDEXED BY {index}" if sqlite else "task"
    mine: list[BindParameter[Any]] = (
        [bindparam("marketplaces", expanding=True)] if q.marketplaces else [])
    where = f"status = '{status.value}'" + (" AND marketplace IN :marketplaces" if mine else "")
    oldest = text(f"SELECT id, {stamp} FROM {source} WHERE {where} ORDER BY {stamp}, id "
                  "LIMIT 1").bindparams(*mine).columns(column("id", Uuid()),
                                                       column(stamp, UTCDateTime()))
    stale = text(f"SELECT count(*) FROM {source} WHERE {where} AND {stamp} < :stale_before"
                 ).bindparams(bindparam("stale_before", type_=UTCDateTime()), *mine)
    return oldest, stale


def sqlite_hours(start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[Any]:
    """SQLite: hours from `start` to `end` (julian days of the stored text stamps)."""
    return (func.julianday(end) - func.julianday(start)) * 24


def hours_between(start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[Any]:
    """PostgreSQL: hours from `start` to `end`, exact to the microsecond (`date_part` is
    double precision; `extract` would be numeric, slower to sort a year of)."""
    return func.date_part("epoch", end - start) / 3600.0


def pg_spreads(q: StatsQuery) -> Select[Any]:
    """PostgreSQL: median and p90 (one `percentile_cont` over both fractions, so one sort
    per duration) and count of each duration. Rows: ([median, p90], n) per duration."""
    done = within(c.completed_at, q)
    series: list[tuple[ColumnElement[Any], ColumnElement[bool]]] = [
        (hours_between(c.submitted_at, decided_at()), within(decided_at(), q)),
        (hours_between(c.started_at, c.completed_at), done),
        (hours_between(c.approved_at, c.completed_at), done),
        (cast(c.actual_hours, Float) / c.estimated_hours, done),
    ]
    fractions = postgresql.array([0.5, 0.9], type_=Float)
    columns: list[Any] = []
    for value, when in series:
        columns += [func.percentile_cont(fractions).within_group(value).filter(when),
                    func.count(value).filter(when)]
    return select(*columns).where(chosen(q), or_(within(decided_at(), q), done))

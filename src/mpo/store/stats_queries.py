"""The store's `mpo.core.ports.StatsQueries`: runs the stats SQL of `stats_sql` on one
snapshot of the database and hands back plain aggregates.

SQLite has no `percentile_cont`: it walks an index ordered by the value to the offsets
the counts give, and interpolates like `percentile_cont` does, so both databases report
the same numbers. On SQLite the biggest scans also run on a second connection, on the
other core, checked to read the same snapshot as the unit of work.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from sqlalchemy import Engine, TextClause, and_, bindparam, func, literal_column, select, text
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.util import ClauseAdapter
from sqlmodel import Session

from mpo.core.domain.stats_query import Aggregates, By, Spread, StatsQuery, Tally, Waiting
from mpo.core.domain.vocabulary import Status
from mpo.core.tables.stats_indexes import SQLITE_ORDERED
from mpo.core.tables.timestamps import UTCDateTime
from mpo.store import stats_archive as everything
from mpo.store import stats_sql as sql
from mpo.store import stats_sqlite as sqlite

#: A window shorter than this share of the data's age reads only the rows it touches.
SHORT_WINDOW = 0.2
#: Fewer values than this are sorted; more are walked in index order.
SORT_AT_MOST = 20_000
#: On SQLite the cube is read in this many parts (rowid modulo), each on its own
#: connection and core; their rows are added up here.
CUBE_PARTS = 2
SPREADS = ("turnaround", "execution", "lead", "ratio")


def _tally(row: Sequence[Any]) -> Tally:
    """(key, six counts, the sums of `stats_sql.SUMS`) as a Tally; NULL sums (nothing in
    the window) are 0."""
    key, *counts = row[:7]
    estimated, accuracy, within_20, executed, hours = (
        [float(v or 0) for v in row[7:12]] + [0.0, 0.0])[:5]
    created, submitted, approved, rejected, started, completed = (int(n or 0) for n in counts)
    return Tally(None if key is None else str(key), created, submitted, approved, rejected,
                 started, completed, estimated, accuracy, int(within_20), int(executed), hours)


class SqlStatsQueries:
    """Aggregates for `mpo stats`, in the session's transaction.

    `short_window` and `sort_at_most` choose between plans that give the same numbers
    (tests run both); they only decide how much of an SQLite file is read.
    """

    def __init__(self, session: Session, *, short_window: float = SHORT_WINDOW,
                 sort_at_most: int = SORT_AT_MOST, overlap: bool = True) -> None:
        self.session = session
        self.short_window = short_window
        self.sort_at_most = sort_at_most
        self.overlap = overlap
        #: Live and archived tasks as one table, once the archive has rows (`with_archive`).
        self._everything: ClauseAdapter | None = None

    def _rows(self, stmt: Any, params: dict[str, Any] | None = None) -> list[Any]:
        if self._everything is not None and not isinstance(stmt, TextClause):
            stmt = self._everything.traverse(stmt)
        return list(self.session.execute(stmt, params or {}))

    @property
    def _sqlite(self) -> bool:
        return self.session.get_bind().dialect.name == "sqlite"

    @property
    def _own_connections(self) -> bool:
        """Whether another connection is a connection of its own to the same file (mpo's
        engines never pool; an in-memory or single-connection pool would hand out the
        same database connection to two threads, or a different, empty database)."""
        bind = self.session.get_bind()
        return isinstance(bind, Engine) and isinstance(bind.pool, NullPool)

    def aggregate(self, query: StatsQuery) -> Aggregates:
        q = query
        archived = self.session.execute(
            select(everything.archived.c.id).limit(1)).first() is not None
        self._everything = ClauseAdapter(everything.with_archive()) if archived else None
        prefilter = sql.any_in_window(q) if archived else self._prefilter(q)
        with ThreadPoolExecutor(max_workers=CUBE_PARTS + 1) as pool:
            # On SQLite the biggest scans (the cube, in parts, and the days) run on their
            # own connections while this one answers the rest: every core, one snapshot
            # (checked below). With an archive, one connection reads both tables.
            overlap = (self.overlap and self._sqlite and self._own_connections
                       and not archived)
            cube = self._cube(pool, q, prefilter, overlap)
            days = (self._meanwhile(pool, sql.days(q, self._sqlite), overlap)
                    if q.by is By.DAY and not archived else None)
            if q.by is By.DAY and archived:
                per_day = self._per_day(sql.days(q, self._sqlite), 1)
                days = lambda: per_day  # noqa: E731
            statuses = {str(s): int(n) for s, n in self._rows(sql.statuses(q))}
            spreads = self._spreads_sqlite(q) if self._sqlite else self._spreads_pg(q)
            awaiting = self._waiting(q, Status.AWAITING_APPROVAL)
            in_progress = self._waiting(q, Status.IN_PROGRESS)
            codes, reasons = self._rejections(q)
            kinds: dict[str, list[Tally]] = {}
            for kind, *row in cube():
                kinds.setdefault(str(kind), []).append(_tally(row))
            groups = ([_day(row) for row in days()] if days is not None
                      else kinds.get(q.by.value, []))
        active = [t.key for t in kinds.get(By.MARKETPLACE.value, [])
                  if t.created and t.key is not None]
        volume = [(_date(d), str(m), int(n)) for d, m, n in self._per_day(
            sql.volume(q, active), 2)] if active else []
        return Aggregates(
            statuses=statuses, total=kinds["total"][0], groups=_ordered(groups),
            agents=_ordered(kinds.get(By.AGENT.value, [])),
            turnaround=spreads[0], execution=spreads[1], lead=spreads[2], ratio=spreads[3],
            volume=volume, reason_codes=codes, reasons=reasons,
            oldest_awaiting=awaiting[0], oldest_in_progress=in_progress[0],
            stale_awaiting=awaiting[1], stale_in_progress=in_progress[1],
        )

    def _per_day(self, stmt: Any, keys: int) -> list[Any]:
        return everything.per_day(self.session, stmt, keys, self._everything is not None)

    def _meanwhile(self, pool: ThreadPoolExecutor, stmt: Any,
                   overlap: bool) -> Callable[[], list[Any]]:
        """The rows of `stmt`, read on another connection while this one works on when
        `overlap`; if a write committed between the two snapshots (their newest event
        differs), they are read again here, so the report is one snapshot whatever happens."""
        if not overlap:
            return lambda: self._rows(stmt)
        engine = self.session.get_bind()
        assert isinstance(engine, Engine)

        def elsewhere() -> tuple[Any, list[Any]]:
            with engine.connect() as conn:
                return tuple(conn.execute(sql.last_event()).one()), list(conn.execute(stmt))

        future = pool.submit(elsewhere)
        mine = tuple(self.session.execute(sql.last_event()).one())

        def result() -> list[Any]:
            theirs, rows = future.result()
            return rows if theirs == mine else self._rows(stmt)

        return result

    def _cube(self, pool: ThreadPoolExecutor, q: StatsQuery, prefilter: Any,
              overlap: bool) -> Callable[[], list[Any]]:
        """The cube's rows; when overlapping, read in `CUBE_PARTS` parts by rowid (each
        part walks the covering index in order, doing a share of the aggregating) and
        added up per (kind, key): every measure is a count or a sum."""
        if not overlap:
            return self._meanwhile(pool, sql.tallies(q, prefilter, self._sqlite), False)
        parts = []
        for part in range(CUBE_PARTS):
            mine = literal_column("task.rowid") % CUBE_PARTS == part
            where = mine if prefilter is None else and_(prefilter, mine)
            parts.append(self._meanwhile(pool, sql.tallies(q, where, True), True))

        def merged() -> list[Any]:
            rows: dict[tuple[str, Any], list[Any]] = {}
            for part_rows in parts:
                for kind, key, *measures in part_rows():
                    found = rows.get((kind, key))
                    if found is None:
                        rows[(kind, key)] = [float(m or 0) for m in measures]
                    else:
                        for i, m in enumerate(measures):
                            found[i] += float(m or 0)
            return [(kind, key, *measures) for (kind, key), measures in rows.items()]

        return merged

    def _prefilter(self, q: StatsQuery) -> Any:
        """Which rows the cube reads: on SQLite, all of them through the covering index
        (in order, no sort) unless the window is short, then only the rows with an event
        in it, found through the stamp indexes. PostgreSQL plans the OR itself."""
        if not self._sqlite:
            return sql.any_in_window(q)
        first = self.session.execute(
            select(func.min(sql.c.created_at)).where(sql.chosen(q))).scalar()
        if first is None or first >= q.window.until:
            return sql.in_window_ids(q, literal_column("rowid"))
        window = (q.window.until - q.window.since).total_seconds()
        if window < self.short_window * (q.window.until - first).total_seconds():
            return sql.in_window_ids(q, literal_column("rowid"))
        return None

    def _params(self, q: StatsQuery) -> tuple[list[Any], dict[str, Any]]:
        binds = [bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime())]
        params: dict[str, Any] = {"since": q.window.since, "until": q.window.until}
        if q.marketplaces:
            binds.append(bindparam("marketplaces", expanding=True))
            params["marketplaces"] = list(q.marketplaces)
        return binds, params

    def _spreads_sqlite(self, q: StatsQuery) -> list[Spread]:
        decided, completed = (int(n) for n in self._rows(sql.spread_counts(q))[0])
        binds, params = self._params(q)
        spreads = []
        for name in SPREADS:
            n = decided if name == "turnaround" else completed
            index, value, stamp = SQLITE_ORDERED[name]
            found: list[float | None] = []
            for p in (0.5, 0.9):
                if not n:
                    found.append(None)
                    continue
                position = p * (n - 1)
                low = math.floor(position)
                high = min(low + 1, n - 1)
                # Walk from the nearer end: the p90 is a tenth of the way from the top.
                descending = p > 0.5
                stmt = text(sqlite.walk(
                    q, index, value, stamp, descending, short=n <= self.sort_at_most,
                    everything=everything.SQLITE_ALL if self._everything is not None else None,
                )).bindparams(*binds)
                found.append(self.session.execute(stmt, params | {
                    "frac": position - low, "limit": high - low + 1,
                    "offset": n - 1 - high if descending else low}).scalar())
            spreads.append(Spread(n, found[0], found[1]))
        return spreads

    def _spreads_pg(self, q: StatsQuery) -> list[Spread]:
        row = self._rows(sql.pg_spreads(q))[0]
        spreads = []
        for i in range(0, 8, 2):
            median, p90 = row[i] or (None, None)
            spreads.append(Spread(int(row[i + 1]), median, p90))
        return spreads

    def _rejections(self, q: StatsQuery) -> tuple[list[tuple[str, int]],
                                                   list[tuple[str, int]]]:
        """Rejections per reason code, and the top free-text reasons."""
        codes: Any
        reasons: Any
        if self._sqlite:
            binds, params = self._params(q)
            mine = "AND marketplace IN :marketplaces" if q.marketplaces else ""
            statements = [sqlite.CODES.format(mine=mine), sqlite.REASONS.format(mine=mine)]
            if self._everything is not None:
                statements = [sqlite.everywhere(s, everything.SQLITE_ALL) for s in statements]
            codes, reasons = (text(s).bindparams(*binds) for s in statements)
            params["top"] = q.top_reasons
        else:
            codes, reasons, params = sql.reason_codes(q), sql.reasons(q), {}
        return ([(str(code), int(n)) for code, n in self._rows(codes, params)],
                [(str(r), int(n)) for r, n in self._rows(reasons, params)])

    def _waiting(self, q: StatsQuery, status: Status) -> tuple[Waiting | None, int]:
        oldest_stmt, stale_stmt = sql.waiting(q, status, self._sqlite)
        params = {"stale_before": q.stale_before, "marketplaces": list(q.marketplaces)}
        oldest = self.session.execute(oldest_stmt, params).first()
        stale = self.session.execute(stale_stmt, params).scalar()
        return (None if oldest is None else Waiting(oldest[0], oldest[1])), int(stale or 0)


def _day(row: Sequence[Any]) -> Tally:
    """A row of `stats_sql.days` as a Tally."""
    day, created, submitted, approved, rejected, started, completed = row
    created, completed = (json.loads(v) if isinstance(v, str) else v
                          for v in (created, completed))
    return _tally((day, created[0], submitted, approved, rejected, started, completed[0],
                   created[1], completed[1], completed[2]))


def _ordered(tallies: list[Tally]) -> list[Tally]:
    """Groups in key order, the group without a key (unassigned) last, on both databases."""
    return sorted(tallies, key=lambda t: (t.key is None, t.key or ""))


def _date(value: Any) -> date:
    """A day as SQLite (text) or PostgreSQL (text from VALUES) returns it."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))

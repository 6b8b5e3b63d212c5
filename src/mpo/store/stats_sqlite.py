"""The SQL of `mpo stats` that only SQLite needs: percentiles by ordered offsets, and
rejections in index order, each naming the index it must read (`INDEXED BY`): without
statistics SQLite's planner would pick a range index and sort a year of rows instead.
"""

from __future__ import annotations

from mpo.core.domain.stats_query import StatsQuery
from mpo.core.tables.stats_indexes import DECIDED_AT


def walk(q: StatsQuery, index: str, value: str, stamp: str, descending: bool,
                short: bool, everything: str | None = None) -> str:
    """Interpolate between the (up to) two values at an offset, `:frac` weighing the
    second. A long window walks `index` in order without a sort (`value` and `stamp` are
    spelt as in the index, so the walk never touches the table); a short one sorts the few
    rows its stamps' indexes find instead of walking past everyone else's. With the
    archive, `everything` (live and archived tasks as one table) is read instead."""
    mine = "AND marketplace IN :marketplaces" if q.marketplaces else ""
    order = "DESC" if descending else "ASC"
    source = f"task INDEXED BY {index}"
    if everything is not None:
        source = f"{everything} WHERE"
    elif short:
        stamps = STAMP_TERMS.get(stamp, [stamp])
        source = ("task WHERE rowid IN (" + " UNION ALL ".join(
            f"SELECT rowid FROM task WHERE {s} >= :since AND {s} < :until" for s in stamps)
            + ") AND")
    else:
        source += " WHERE"
    return (f"SELECT min(v) + :frac * (max(v) - min(v)) FROM ("
            f"SELECT {value} AS v FROM {source} "
            f"{value} IS NOT NULL AND {stamp} >= :since AND {stamp} < :until {mine} "
            f"ORDER BY {value} {order} LIMIT :limit OFFSET :offset)")


#: The stamps an expression stamp is made of: a decision is an approval or a rejection.
STAMP_TERMS = {DECIDED_AT: ["approved_at", "rejected_at"]}


#: Rejections per code, and per free-text reason, streamed in the order of their
#: own index (code, reason, when) with no sort of the rows; the reasons are counted per
#: (code, reason) first and added up across codes.
REJECTIONS = (
    "FROM task INDEXED BY ix_task_rejections WHERE rejected_at IS NOT NULL "
    "AND rejected_at >= :since AND rejected_at < :until {mine}"
)
CODES = ("SELECT rejection_code, count(*) AS n " + REJECTIONS
                + " GROUP BY rejection_code ORDER BY n DESC, rejection_code")
REASONS = (
    "SELECT rejection_reason, sum(n) AS total FROM (SELECT rejection_reason, count(*) AS n "
    + REJECTIONS + " AND rejection_reason IS NOT NULL "
    "GROUP BY rejection_code, rejection_reason) "
    "GROUP BY rejection_reason ORDER BY total DESC, rejection_reason LIMIT :top"
)


def everywhere(statement: str, everything: str) -> str:
    """A rejections statement reading live and archived tasks (`everything`)."""
    return statement.replace("FROM task INDEXED BY ix_task_rejections", f"FROM {everything}")

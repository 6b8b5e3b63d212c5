"""The task indexes `mpo stats` reads (migration 0004 says which query each one serves),
declared here once for the models, and the SQLite expressions the queries must spell the
same way for SQLite to read them from an index.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Constraint, Index, text

from mpo.core.domain.vocabulary import Status

#: When a task was approved or rejected (it never is both).
DECIDED_AT = "coalesce(approved_at, rejected_at)"


def sqlite_hours(start: str, end: str) -> str:
    """SQLite's hours from `start` to `end`, exactly as the stats indexes spell it."""
    return f"(julianday({end}) - julianday({start})) * 24"


#: SQLite expression indexes the stats percentiles walk in order: (value, stamp, marketplace).
SQLITE_ORDERED = {
    "turnaround": ("ix_task_turnaround_hours", sqlite_hours("submitted_at", DECIDED_AT),
                   DECIDED_AT),
    "execution": ("ix_task_execution_hours", sqlite_hours("started_at", "completed_at"),
                  "completed_at"),
    "lead": ("ix_task_lead_hours", sqlite_hours("approved_at", "completed_at"), "completed_at"),
    "ratio": ("ix_task_estimate_ratio", "actual_hours / estimated_hours", "completed_at"),
}
STATS_CUBE = ("marketplace", "created_by", "category", "priority", "assigned_to", "status",
              "created_at", "submitted_at", "approved_at", "rejected_at", "started_at",
              "completed_at", "estimated_hours", "actual_hours")


#: Where a partial index keeps its PostgreSQL predicate until PostgreSQL is used: a
#: `postgresql_where=` argument would import SQLAlchemy's whole PostgreSQL dialect (asyncpg,
#: pg8000 ...) in every process, a tenth of `mpo create` on SQLite (issue 11).
POSTGRESQL_WHERE = "postgresql_where"


def with_postgresql_options(indexes: Iterable[Index]) -> None:
    """Give partial indexes their PostgreSQL predicate (once PostgreSQL is in use)."""
    for index in indexes:
        clause = index.info.get(POSTGRESQL_WHERE)
        if clause is not None and index.dialect_options["postgresql"]["where"] is None:
            index.dialect_options["postgresql"]["where"] = clause


def sqlite_only(index: Index) -> Index:
    """An index only SQLite gets: `ddl_if` for the DDL, and `info` so that schema
    comparisons (which do not read `ddl_if`) know it too."""
    index.info["dialects"] = ("sqlite",)
    return index.ddl_if(dialect="sqlite")


def applies(index: Index | Constraint, dialect: str) -> bool:
    """Whether the models create `index` (or a constraint) on `dialect`."""
    return dialect in index.info.get("dialects", (dialect,))


def stats_indexes() -> list[Index]:
    """The indexes of migration 0004, which says what each one serves."""
    def stamped(name: str, stamp: str, *more: str, where: str | None = None) -> Index:
        clause = text(where or f"{stamp} IS NOT NULL")
        index = Index(name, stamp, *more, sqlite_where=clause)
        index.info[POSTGRESQL_WHERE] = clause
        return index

    return [
        Index("ix_task_created_at_stats", "created_at", "marketplace", "estimated_hours"),
        stamped("ix_task_submitted_at", "submitted_at", "marketplace"),
        stamped("ix_task_approved_at", "approved_at", "marketplace"),
        stamped("ix_task_rejected_at", "rejected_at", "marketplace", "rejection_code"),
        stamped("ix_task_started_at", "started_at", "marketplace"),
        stamped("ix_task_completed_at", "completed_at", "marketplace", "estimated_hours",
                "actual_hours"),
        stamped("ix_task_awaiting_since", "submitted_at", "marketplace",
                where=f"status = '{Status.AWAITING_APPROVAL.value}'"),
        stamped("ix_task_in_progress_since", "started_at", "marketplace",
                where=f"status = '{Status.IN_PROGRESS.value}'"),
        sqlite_only(Index("ix_task_stats_cube", *STATS_CUBE)),
        *(sqlite_only(Index(name, text(value), text(stamp), "marketplace"))
          for name, value, stamp in SQLITE_ORDERED.values()),
        sqlite_only(Index("ix_task_rejections", "rejection_code", "rejection_reason",
                          "rejected_at", "marketplace",
                          sqlite_where=text("rejected_at IS NOT NULL"))),
    ]

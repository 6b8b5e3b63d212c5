"""Indexes for effort prediction, agent approval rates and campaigns (migration 0006),
declared here once for the models.

All but the campaign index are partial: a task enters them only when it is completed or
decided, so `mpo create` pays nothing for them.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from mpo.core.tables.stats_indexes import POSTGRESQL_WHERE

COMPLETED = "completed_at IS NOT NULL"
DECIDED = "approved_at IS NOT NULL OR rejected_at IS NOT NULL"


def _partial(name: str, *columns: str, where: str) -> Index:
    """A partial index; its PostgreSQL predicate waits in `info` (see `stats_indexes`)."""
    clause = text(where)
    index = Index(name, *columns, sqlite_where=clause)
    index.info[POSTGRESQL_WHERE] = clause
    return index


def history_indexes() -> list[Index]:
    """The indexes of migration 0006: each serves one query of `mpo.store.history`."""
    return [
        # the most recent completed tasks of an agent in a category (effort prediction)
        _partial("ix_task_history_agent", "created_by", "category", "completed_at",
                 "marketplace", "estimated_hours", "actual_hours", where=COMPLETED),
        # ... of a marketplace in a category, and of a marketplace (an agent's whole
        # history): led by the marketplace, in completion order, the category filtered
        _partial("ix_task_history_marketplace", "marketplace", "completed_at", "category",
                 "estimated_hours", "actual_hours", where=COMPLETED),
        # approval rate per agent (priority score), read from the index alone
        _partial("ix_task_agent_decisions", "created_by", "approved_at", "rejected_at",
                 where=DECIDED),
        Index("ix_task_campaign", "campaign", "status"),
    ]

"""A task query's filters as SQL: the `WHERE` of a task list and of its count."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlmodel import col

from mpo.core.domain.selection import TaskQuery
from mpo.core.tables.models import Task

S = TypeVar("S", bound=Select[Any])


def filtered(stmt: S, query: TaskQuery) -> S:
    """`stmt` narrowed by the query's filters (not its order or page)."""
    for column, allowed in (
        (Task.status, query.statuses),
        (Task.marketplace, query.marketplaces),
        (Task.priority, query.priorities),
        (Task.category, query.categories),
        (Task.created_by, query.created_by),
        (Task.assigned_to, query.assigned_to),
        (Task.campaign, query.campaigns),
        (Task.listing_id, query.listing_ids),
    ):
        if allowed:
            stmt = stmt.where(col(column).in_(allowed))
    if query.since is not None:
        stmt = stmt.where(col(Task.created_at) >= query.since)
    if query.until is not None:
        stmt = stmt.where(col(Task.created_at) < query.until)
    return stmt

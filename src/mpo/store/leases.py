"""The claim queue's reads (docs/claim.md): the next claimable task and the tasks whose
lease ran out, each locked for the claim's transaction.

On PostgreSQL both lock with `FOR UPDATE SKIP LOCKED`: a row another claim holds is passed
over, never waited for, so claims never queue behind each other and no two take the same
task. On SQLite the unit of work already holds the write lock (`BEGIN IMMEDIATE`): one claim
at a time, and the row read is the row moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true
from sqlalchemy.sql import text
from sqlmodel import Session, col

from mpo.core.domain.executors import ClaimQuery, Cover, Order
from mpo.core.domain.vocabulary import Status
from mpo.core.tables.models import Task

_PRIORITY = case((col(Task.priority) == "high", 0), (col(Task.priority) == "medium", 1),
                 else_=2)


class SqlLeaseStore:
    """The claim queue of one unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def _tagged(self, tags: Sequence[str]) -> ColumnElement[bool]:
        """Tasks carrying at least one of `tags` (a JSON list)."""
        if self.postgres:
            clause = text("(task.tags::jsonb ?| CAST(:tags AS text[]))").bindparams(
                tags=list(tags))
        else:
            names = {f"tag{i}": tag for i, tag in enumerate(tags)}
            marks = ", ".join(f":{name}" for name in names)
            clause = text(f"EXISTS (SELECT 1 FROM json_each(task.tags) WHERE json_each.value "
                          f"IN ({marks}))").bindparams(**names)
        return clause  # type: ignore[return-value]

    def _covered(self, cover: Cover) -> ColumnElement[bool]:
        terms: list[ColumnElement[bool]] = []
        if cover.marketplaces:
            terms.append(col(Task.marketplace).in_(cover.marketplaces))
        if cover.categories:
            terms.append(col(Task.category).in_(cover.categories))
        if cover.tags:
            terms.append(self._tagged(cover.tags))
        return and_(true(), *terms)

    def claimable(self, query: ClaimQuery) -> Task | None:
        """The first approved, unassigned task the query matches, locked (None: none is
        free now)."""
        stmt = select(Task).where(col(Task.status) == Status.APPROVED.value,
                                  col(Task.assigned_to).is_(None),
                                  or_(false(), *(self._covered(c) for c in query.covers)))
        if query.marketplaces:
            stmt = stmt.where(col(Task.marketplace).in_(query.marketplaces))
        if query.categories:
            stmt = stmt.where(col(Task.category).in_(query.categories))
        if query.tags:
            stmt = stmt.where(self._tagged(query.tags))
        order: list[Any] = [col(Task.created_at), col(Task.id)]
        if query.order is Order.PRIORITY:
            order.insert(0, _PRIORITY)
        # A task this transaction just returned is in the session already, as it was:
        # read it afresh.
        stmt = stmt.order_by(*order).limit(1).execution_options(populate_existing=True)
        if self.postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        return self.session.scalars(stmt).first()

    def lost(self, now: datetime, marketplace: str | None, limit: int) -> list[Task]:
        """Tasks in progress whose lease ran out by `now` (in `marketplace` if given),
        locked, oldest lease first."""
        stmt = select(Task).where(col(Task.status) == Status.IN_PROGRESS.value,
                                  col(Task.lease_expires_at) <= now)
        if self.postgres:  # the guards judge by the transaction's clock, which may be behind
            stmt = stmt.where(col(Task.lease_expires_at) <= func.now())
        if marketplace is not None:
            stmt = stmt.where(col(Task.marketplace) == marketplace)
        stmt = stmt.order_by(col(Task.lease_expires_at), col(Task.id)).limit(limit)
        if self.postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self.session.scalars(stmt))

    def soonest(self, marketplace: str | None) -> datetime | None:
        """When the next lease (in `marketplace` if given) runs out, if any is held."""
        stmt = select(func.min(col(Task.lease_expires_at))).where(
            col(Task.status) == Status.IN_PROGRESS.value)
        if marketplace is not None:
            stmt = stmt.where(col(Task.marketplace) == marketplace)
        found: datetime | None = self.session.execute(stmt).scalar()
        return found

    def held(self) -> list[Task]:
        """Every task in progress under a lease, the soonest to run out first."""
        stmt = (select(Task).where(col(Task.status) == Status.IN_PROGRESS.value,
                                   col(Task.lease_expires_at).is_not(None))
                .order_by(col(Task.lease_expires_at), col(Task.id)))
        return list(self.session.scalars(stmt))

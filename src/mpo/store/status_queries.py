"""SQL for `mpo status`: one grouped scan per agent, one pass of sums for the queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlmodel import Session, col

from mpo.core.domain.status_report import AgentStatus, Queue, StatusQuery, StatusReport
from mpo.core.domain.vocabulary import Status
from mpo.core.tables.models import Principal, Task

OPEN = (Status.PENDING.value, Status.AWAITING_APPROVAL.value, Status.APPROVED.value,
        Status.IN_PROGRESS.value)
#: Every built-in status: any other is a custom workflow's state, open by construction.
BUILTIN = tuple(s.value for s in Status)


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _within(q: StatusQuery, column: Any) -> Any:
    """A team's marketplaces only (`q.marketplaces`), or every row."""
    return column.in_(q.marketplaces) if q.marketplaces else true()


class SqlStatusQueries:
    """The store's `mpo.core.ports.StatusQueries`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def report(self, query: StatusQuery) -> StatusReport:
        return StatusReport(agents=self._agents(query), queue=self._queue(query))

    def _agents(self, q: StatusQuery) -> list[AgentStatus]:
        created = col(Task.created_at)
        stmt = (select(col(Task.created_by), func.min(col(Task.marketplace)),
                       func.count(func.distinct(col(Task.marketplace))), func.max(created),
                       _count(created >= q.today_start), _count(created >= q.week_start),
                       _count(col(Task.approved_at) >= q.approval_since),
                       _count(col(Task.rejected_at) >= q.approval_since),
                       _count(col(Task.started_at) >= q.approval_since),
                       _count(col(Task.completed_at) >= q.approval_since))
                .where(_within(q, col(Task.marketplace)))
                .group_by(col(Task.created_by)))
        agents = {
            str(name): AgentStatus(str(name), str(market) if markets == 1 else None, last,
                                   int(today), int(week), int(approved), int(rejected),
                                   int(started), int(completed))
            for name, market, markets, last, today, week, approved, rejected, started, completed
            in self.session.execute(stmt)
        }
        # Agents that never proposed anything are the silentest of all (as far as the
        # reader may see principals: admins see every one).
        principals = select(col(Principal.name), col(Principal.marketplace)).where(
            col(Principal.role) == "agent", col(Principal.revoked_at).is_(None),
            _within(q, col(Principal.marketplace)))
        for name, market in self.session.execute(principals):
            agents.setdefault(str(name), AgentStatus(str(name), market, None, 0, 0, 0, 0))
        return sorted(agents.values(), key=lambda a: a.agent)

    def _queue(self, q: StatusQuery) -> Queue:
        status = col(Task.status)
        stale = or_(and_(status == Status.PENDING.value, col(Task.created_at) < q.stale_before),
                    and_(status == Status.AWAITING_APPROVAL.value,
                         col(Task.submitted_at) < q.stale_before))
        row = self.session.execute(select(
            _count(status == Status.PENDING.value),
            _count(status == Status.AWAITING_APPROVAL.value),
            _count(and_(status == Status.APPROVED.value, col(Task.assigned_to).is_(None))),
            _count(status == Status.IN_PROGRESS.value),
            _count(and_(or_(status.in_(OPEN), status.not_in(BUILTIN)),
                        col(Task.due_date) < q.today)),
            _count(stale),
        ).where(_within(q, col(Task.marketplace)))).one()
        custom = (select(status, func.count())
                  .where(status.not_in(BUILTIN), _within(q, col(Task.marketplace)))
                  .group_by(status))
        pending, awaiting, unassigned, in_progress, overdue, stale_n = (int(n) for n in row)
        return Queue(pending, awaiting, unassigned, in_progress, overdue, stale_n,
                     {str(s): int(n) for s, n in self.session.execute(custom)})

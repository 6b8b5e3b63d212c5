"""The read side of the ports: the aggregates the reports, the dashboard, estimates and
undo read, each computed by the database (never row by row in Python)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mpo.core.domain.dashboard_snapshot import Oldest
    from mpo.core.domain.estimate import History
    from mpo.core.domain.stats_query import Aggregates, StatsQuery
    from mpo.core.domain.status_report import StatusQuery, StatusReport
    from mpo.core.tables.models import TaskEvent


class StatsQueries(Protocol):
    """The aggregates of `mpo stats`, computed by the database (never row by row here)."""

    def aggregate(self, query: StatsQuery) -> Aggregates: ...


class DashboardQueries(Protocol):
    """The dashboard's reads, each served by an index (never a full scan)."""

    def marker(self) -> int: ...

    def within(self, marketplaces: Sequence[str]) -> None:
        """Count only these marketplaces' tasks from now on (a team's dashboard)."""
        ...

    def statuses(self) -> dict[str, int]: ...

    def awaiting_by_marketplace(self) -> dict[str, int]: ...

    def oldest_awaiting(self) -> Oldest | None: ...

    def approvals_between(self, edges: Sequence[datetime]) -> list[int]: ...

    def agents_last_active(self, since: datetime) -> list[tuple[str, datetime | None]]: ...


class DistributionQueries(Protocol):
    """Histogram counts: hours between two stamps, per bucket below each edge."""

    def turnaround(self, edges: Sequence[float], since: datetime, until: datetime,
                   marketplaces: tuple[str, ...]) -> list[int]: ...

    def execution(self, edges: Sequence[float], since: datetime, until: datetime,
                  marketplaces: tuple[str, ...]) -> list[int]: ...


class HistoryQueries(Protocol):
    """Small indexed reads of past work: effort ratios, decisions, speed, campaigns."""

    def ratios(self, *, agent: str, marketplace: str, category: str,
               scope: str | None = None, limit: int = ...) -> History: ...

    def decisions(self, agents: Sequence[str]) -> dict[str, tuple[int, int]]: ...

    def execution(self, since: datetime, until: datetime,
                  marketplaces: Sequence[str] = ()) -> dict[str, tuple[int, float]]: ...

    def campaigns(self, name: str | None = None, scope: str | None = None
                  ) -> list[tuple[str, str, int, float, float]]: ...


class AuditQueries(Protocol):
    """What undo and expiry read: events by id, each task's newest event, stale tasks."""

    def event(self, event_id: int) -> TaskEvent | None: ...

    def latest_event_ids(self, task_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]: ...

    def stale(self, statuses: Sequence[str], before: datetime) -> list[uuid.UUID]:
        """Tasks in one of `statuses` since before `before` (pending: created, awaiting:
        submitted), oldest first."""
        ...


class StatusQueries(Protocol):
    """The aggregates of `mpo status`, computed by the database."""

    def report(self, query: StatusQuery) -> StatusReport: ...

"""The stats report: metric definitions on top of the store's aggregates, and the JSON
document (schema in docs/stats.md; bump `SCHEMA_VERSION` on any incompatible change).

Every ratio of an empty window is None (JSON null), never 0 and never a division error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mpo.core.domain import health
from mpo.core.domain.stats_query import Aggregates, By, Spread, StatsQuery, Tally, Waiting
from mpo.core.domain.vocabulary import Status, values

SCHEMA_VERSION = 1
#: The statuses the backlog reports on, in the order the report shows them.
BACKLOG_STATUSES: tuple[Status, ...] = (Status.AWAITING_APPROVAL, Status.IN_PROGRESS)
#: Decimal places in the document: hours to 3.6 s, shares to a hundredth of a percent.
HOURS_PLACES = 3
SHARE_PLACES = 4

#: The fields of a group row, in order: the CSV header, after the group's own column.
GROUP_FIELDS = (
    "created", "submitted", "approved", "rejected", "started", "completed", "approval_rate",
    "created_per_day", "mean_estimated_hours", "accuracy_mean", "within_20_share",
)


def _ratio(part: float, whole: float, places: int = SHARE_PLACES) -> float | None:
    return None if not whole else round(part / whole, places)


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, HOURS_PLACES)


def _spread(spread: Spread, places: int = HOURS_PLACES) -> dict[str, Any]:
    return {
        "n": spread.n,
        "median": None if spread.median is None else round(spread.median, places),
        "p90": None if spread.p90 is None else round(spread.p90, places),
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass(frozen=True)
class Report:
    """One run of `mpo stats`: what was asked, what the database answered, and when."""

    query: StatsQuery
    aggregates: Aggregates
    generated_at: datetime
    backlog_age: timedelta
    #: (completed, mean started-to-completed hours) per agent, for `health`.
    execution: Mapping[str, tuple[int, float]] = field(default_factory=dict)

    def row(self, tally: Tally, span_days: float) -> dict[str, Any]:
        """A group (or the whole selection) as a row of derived metrics."""
        return {
            "key": tally.key,
            "created": tally.created,
            "submitted": tally.submitted,
            "approved": tally.approved,
            "rejected": tally.rejected,
            "started": tally.started,
            "completed": tally.completed,
            "approval_rate": _ratio(tally.approved, tally.approved + tally.rejected),
            "created_per_day": round(tally.created / span_days, HOURS_PLACES),
            "mean_estimated_hours": _ratio(tally.estimated_hours, tally.created, HOURS_PLACES),
            "accuracy_mean": _ratio(tally.accuracy, tally.completed),
            "within_20_share": _ratio(tally.within_20, tally.completed),
        }

    def group_rows(self) -> list[dict[str, Any]]:
        """The rows `--by` asked for; a day's rate is per the part of it in the window."""
        window = self.query.window
        spans = {d.day.isoformat(): (d.until - d.since) / timedelta(days=1) for d in window.days}
        if self.query.by is not By.DAY:
            spans = {}
        return [self.row(t, spans.get(t.key or "", window.length_days))
                for t in self.aggregates.groups]

    def csv_rows(self) -> list[dict[str, Any]]:
        """Group rows keyed by the grouping's own name (`marketplace`, `day`, ...)."""
        return [{self.query.by.value: row.pop("key")} | row for row in self.group_rows()]

    @property
    def csv_fields(self) -> tuple[str, ...]:
        """The CSV header: the grouping, then `GROUP_FIELDS`."""
        return (self.query.by.value, *GROUP_FIELDS)

    def _waiting(self, status: Status, oldest: Waiting | None, older: int) -> dict[str, Any]:
        return {
            "count": self.aggregates.statuses.get(status.value, 0),
            "older_than": older,
            "oldest": None if oldest is None else {
                "id": str(oldest.task_id),
                "since": _iso(oldest.since),
                "age_hours": _hours((self.generated_at - oldest.since) / timedelta(hours=1)),
            },
        }

    def document(self) -> dict[str, Any]:
        """The report as the JSON document of docs/stats.md (schema_version 1)."""
        a, window = self.aggregates, self.query.window
        total = a.total
        decided = total.approved + total.rejected
        return {
            "schema_version": SCHEMA_VERSION,
            "generated_at": _iso(self.generated_at),
            "window": {"since": _iso(window.since), "until": _iso(window.until),
                       "timezone": window.zone, "days": round(window.length_days, 4)},
            "marketplaces": list(self.query.marketplaces),
            "by": self.query.by.value,
            "pipeline": {
                "now": {s: a.statuses.get(s, 0) for s in values(Status)} | {
                    s: n for s, n in a.statuses.items() if s not in values(Status)},
                "window": {k: getattr(total, k) for k in
                           ("created", "submitted", "approved", "rejected", "started",
                            "completed")},
            },
            "approval": {
                "decided": decided, "approved": total.approved, "rejected": total.rejected,
                "rate": _ratio(total.approved, decided),
                "turnaround_hours": _spread(a.turnaround),
            },
            "execution": {
                "completed": total.completed,
                "started_to_completed_hours": _spread(a.execution),
                "approved_to_completed_hours": _spread(a.lead),
            },
            "estimates": {
                "completed": total.completed,
                "accuracy_mean": _ratio(total.accuracy, total.completed),
                "within_20_share": _ratio(total.within_20, total.completed),
                "ratio": _spread(a.ratio, SHARE_PLACES),
            },
            "rejections": {
                "codes": [{"code": c, "count": n} for c, n in a.reason_codes],
                "top_reasons": [{"reason": r, "count": n} for r, n in a.reasons],
            },
            "backlog": {
                "older_than_hours": _hours(self.backlog_age / timedelta(hours=1)),
                Status.AWAITING_APPROVAL.value: self._waiting(
                    Status.AWAITING_APPROVAL, a.oldest_awaiting, a.stale_awaiting),
                Status.IN_PROGRESS.value: self._waiting(
                    Status.IN_PROGRESS, a.oldest_in_progress, a.stale_in_progress),
            },
            "volume": [{"day": d.isoformat(), "marketplace": m, "created": n}
                       for d, m, n in a.volume],
            "agents": [self.row(t, window.length_days) for t in a.agents],
            "health": [h.as_dict() for h in health.agents(
                {t.key or "": (t.approved, t.rejected, t.started, t.completed)
                 for t in a.agents}, self.execution)],
            "groups": self.group_rows(),
        }

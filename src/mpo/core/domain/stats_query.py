"""What a stats report covers and what the store aggregates for it: the window (half-open,
[since, until), in UTC, with calendar days in the reader's zone), the grouping, and the
shapes of the store's answer.

Light at import (no database libraries), so the command line can offer `By` in --help.
The numbers are computed by SQL in the store (`mpo.store.stats_queries`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mpo.core.domain import timeparse
from mpo.core.domain.errors import UsageError, ValidationError

#: Without --since or --day: the last 30 days, from local midnight.
DEFAULT_DAYS = 30
#: The daily series has one row per day; ten years of days is plenty.
MAX_DAYS = 3660
DEFAULT_BACKLOG_AGE = "3d"
TOP_REASONS = 5


class By(StrEnum):
    """What the group rows of a report are keyed by."""

    MARKETPLACE = "marketplace"
    AGENT = "agent"
    CATEGORY = "category"
    PRIORITY = "priority"
    DAY = "day"
    ASSIGNEE = "assignee"
    LISTING = "listing"


@dataclass(frozen=True)
class Day:
    """One local calendar day of the window, with its UTC edges clipped to the window."""

    day: date
    since: datetime
    until: datetime


@dataclass(frozen=True)
class Window:
    """The half-open interval [since, until) a report covers, and its local days."""

    since: datetime
    until: datetime
    zone: str
    days: tuple[Day, ...]

    @property
    def length_days(self) -> float:
        """How long the window is, in days (for per-day rates)."""
        return (self.until - self.since) / timedelta(days=1)


def resolve_window(
    *,
    since: str | None = None,
    until: str | None = None,
    day: str | None = None,
    zone: str = "UTC",
    now: datetime,
) -> Window:
    """The window the options name: `--day X`, or `--since`/`--until` (default: the last
    30 days from local midnight until now)."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            "tz", f"{zone!r} is not an IANA time zone (e.g. UTC, America/Sao_Paulo)"
        ) from None
    if day is not None:
        if since is not None or until is not None:
            raise UsageError("stats: give --day, or --since/--until, not both")
        start, end = timeparse.day_span("day", day, tz, now)
    else:
        default_start = timeparse.start_of_day(
            now.astimezone(tz).date() - timedelta(days=DEFAULT_DAYS), tz)
        start = timeparse.parse_instant("since", since, tz, now) if since else default_start
        end = timeparse.parse_instant("until", until, tz, now) if until else now
    if start >= end:
        raise ValidationError("since", f"{start.isoformat()} is not before --until "
                                       f"{end.isoformat()}")
    if end - start > timedelta(days=MAX_DAYS):
        raise ValidationError("since", f"the window may span at most {MAX_DAYS} days")
    days = tuple(Day(d, lo, hi) for d, lo, hi in timeparse.local_days(start, end, tz))
    return Window(start, end, zone, days)


@dataclass(frozen=True)
class StatsQuery:
    """What the store aggregates: tasks of these marketplaces (all when empty), events in
    the window, group rows by `by`, and "stale" meaning waiting since before `stale_before`."""

    window: Window
    marketplaces: tuple[str, ...]
    by: By
    stale_before: datetime
    top_reasons: int = TOP_REASONS


# --- what the store returns ---------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Counts and sums of the events in the window, for one group or the whole selection.

    `estimated_hours` sums the estimates of the tasks created; `accuracy` sums
    max(0, 1 - |actual - estimated| / estimated) over the tasks completed, of which
    `within_20` were within 20% of their estimate; `executed` counts the completed tasks
    that were started, and `execution_hours` sums their started-to-completed hours.
    """

    key: str | None
    created: int = 0
    submitted: int = 0
    approved: int = 0
    rejected: int = 0
    started: int = 0
    completed: int = 0
    estimated_hours: float = 0.0
    accuracy: float = 0.0
    within_20: int = 0
    executed: int = 0
    execution_hours: float = 0.0


@dataclass(frozen=True)
class Spread:
    """The median and 90th percentile (linear interpolation, like `percentile_cont`) of
    `n` values; None when there are none."""

    n: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Waiting:
    """The task that has waited longest in a state, and since when."""

    task_id: uuid.UUID
    since: datetime


@dataclass(frozen=True)
class Aggregates:
    """Everything the store computes for one report."""

    statuses: dict[str, int]
    total: Tally
    groups: list[Tally]
    agents: list[Tally]
    turnaround: Spread
    execution: Spread
    lead: Spread
    ratio: Spread
    volume: list[tuple[date, str, int]]
    reason_codes: list[tuple[str, int]]
    reasons: list[tuple[str, int]]
    oldest_awaiting: Waiting | None
    oldest_in_progress: Waiting | None
    stale_awaiting: int
    stale_in_progress: int

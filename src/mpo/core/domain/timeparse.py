"""Instants as people type them: ISO dates and times, or relative forms, in a time zone.

`today`, `yesterday`, `this-month` and ISO dates mean the start of that day (or month) in
the zone; `-7d`, `-4w`, `-12h`, `-10m`, `-30s` count back from now. A duration is written
the same way without the sign (`10m`, `72h`, `2w`): one syntax everywhere, with the units
of `mpo wait --timeout` (s, m, h, d, w; `m` is minutes). Results are timezone-aware UTC.
Calendar days are the zone's too: `day_span` and `local_days` give their UTC edges, so
storage and queries stay in UTC while "yesterday" means the reader's yesterday.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from mpo.core.domain.errors import ValidationError

FORMS = "an ISO date or time, now, today, yesterday, this-month, or -N with s, m, h, d or w"
_RELATIVE = re.compile(r"^-(\d+)([smhdw])$")
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
#: Instants people may name: a day inside Python's calendar on either side, so a window's
#: edges (a day later, another zone) never leave it (issue 11: 9999-12-31 overflowed).
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
#: The longest duration (`--backlog-age`): a century.
DURATION_MAX = timedelta(days=36_525)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of `day` in `zone`, as UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def parse_instant(field: str, text: str, zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """The UTC instant `text` names, read in `zone`, between EARLIEST and LATEST."""
    try:
        instant = _instant(field, text, zone, now)
    except OverflowError:
        instant = None
    if instant is None or not EARLIEST <= instant <= LATEST:
        raise ValidationError(field, f"{text!r} is outside {EARLIEST.date().isoformat()} "
                              f"to {LATEST.date().isoformat()}")
    return instant


def _instant(field: str, text: str, zone: ZoneInfo, now: datetime | None) -> datetime:
    now = now if now is not None else datetime.now(UTC)
    raw = text.strip().lower()
    today = now.astimezone(zone).date()
    if raw == "now":
        return now
    if raw == "today":
        return start_of_day(today, zone)
    if raw == "yesterday":
        return start_of_day(today - timedelta(days=1), zone)
    if raw == "this-month":
        return start_of_day(today.replace(day=1), zone)
    match = _RELATIVE.match(raw)
    if match:
        return now - _span(match.group(1), match.group(2))
    try:
        if len(raw) == 10:
            return start_of_day(date.fromisoformat(raw), zone)
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(field, f"{text!r} is not {FORMS}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def day_span(field: str, text: str, zone: ZoneInfo, now: datetime | None = None
             ) -> tuple[datetime, datetime]:
    """The whole local day `text` falls on (`yesterday`, `2026-11-24`, `-2d`), as a half-open
    UTC range [midnight, next midnight): 23 or 25 hours long across a DST change."""
    day = parse_instant(field, text, zone, now).astimezone(zone).date()
    return start_of_day(day, zone), start_of_day(day + timedelta(days=1), zone)


def local_days(since: datetime, until: datetime, zone: ZoneInfo
               ) -> list[tuple[date, datetime, datetime]]:
    """The local days that overlap [since, until), each with its UTC edges clipped to it."""
    days: list[tuple[date, datetime, datetime]] = []
    day = since.astimezone(zone).date()
    while (low := start_of_day(day, zone)) < until:
        high = start_of_day(day + timedelta(days=1), zone)
        if high > since:
            days.append((day, max(low, since), min(high, until)))
        day += timedelta(days=1)
    return days


def parse_duration(field: str, text: str) -> timedelta:
    """A length of time written N and a unit: s, m (minutes), h, d or w (`10m`, `72h`)."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise ValidationError(field, f"{text!r} is not a duration such as 10m, 72h, 3d or 2w")
    try:
        span = _span(match.group(1), match.group(2))
    except OverflowError:
        span = DURATION_MAX + DURATION_MAX
    if span > DURATION_MAX:
        raise ValidationError(field, f"{text!r} is longer than {DURATION_MAX.days}d")
    return span


def _span(amount: str, unit: str) -> timedelta:
    """`amount` units; OverflowError beyond timedelta's range (digits checked first, so a
    5,000-digit amount never meets Python's integer-string limit)."""
    if len(amount) > 12:
        raise OverflowError(f"{amount[:12]}... {unit}")
    return timedelta(**{_UNITS[unit]: int(amount)})

"""Instants as people type them: ISO dates and times, or relative forms, in a time zone.

`today`, `yesterday`, `this-month` and ISO dates mean the start of that day (or month) in
the zone; `-7d`, `-4w`, `-12h` count back from now. Results are timezone-aware UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from mpo.core.errors import ValidationError

FORMS = "an ISO date or time, now, today, yesterday, this-month, or -Nh/-Nd/-Nw"
_RELATIVE = re.compile(r"^-(\d+)([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of `day` in `zone`, as UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def parse_instant(field: str, text: str, zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """The UTC instant `text` names, read in `zone`."""
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
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        return now - timedelta(**{unit: amount})
    try:
        if len(raw) == 10:
            return start_of_day(date.fromisoformat(raw), zone)
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(field, f"{text!r} is not {FORMS}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)

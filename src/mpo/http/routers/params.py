"""Query-string helpers shared by mpo's routers: repeated and comma-separated values, and
the CLI's time expressions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query

#: A repeatable, comma-separable filter (`?status=a&status=b` or `?status=a,b`).
Many = Annotated[list[str] | None, Query()]


def split(values: list[str] | None) -> tuple[str, ...]:
    """Flatten repeated and comma-separated values."""
    return tuple(v.strip() for item in values or () for v in item.split(",") if v.strip())


def instant(field: str, text: str | None, zone: str) -> datetime | None:
    """An ISO date/time or a relative expression (today, -7d ...), as the CLI reads it."""
    if text is None:
        return None
    from zoneinfo import ZoneInfo

    from mpo.core.domain.timeparse import parse_instant

    return parse_instant(field, text, ZoneInfo(zone))

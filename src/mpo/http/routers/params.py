"""Request helpers shared by mpo's routers: repeated and comma-separated values, the CLI's
time expressions, and the `Idempotency-Key` header of every write."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Header, Query

#: A repeatable, comma-separable filter (`?status=a&status=b` or `?status=a,b`).
Many = Annotated[list[str] | None, Query()]
#: The `Idempotency-Key` header of every write (docs/api.md).
Key = Annotated[str | None, Header(description="Retry-safe: the same key and request "
                                   "answers the first result; another request is a 409.")]


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

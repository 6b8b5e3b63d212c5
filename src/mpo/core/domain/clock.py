"""The use cases' time: now, as timezone-aware UTC, and the type of a clock a caller may
pass instead (tests, a fixed `now`).

Import-free, so a module that only needs the time loads no table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

#: Where a use case reads the time: `utcnow` unless its caller passes another.
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only clock the use cases read)."""
    return datetime.now(UTC)

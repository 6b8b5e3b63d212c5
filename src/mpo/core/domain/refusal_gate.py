"""Refusals of requests without a valid credential, counted per client address.

An unauthenticated flood used to write one `access_denial` row per request (issue 22,
finding 11). Per address and window, the first refusal is recorded at once and the rest are
counted in memory and recorded as one row with their number when the window closes (or the
server stops): the count survives, the table does not grow with the flood. Past `limit`
refusals in a window, the address is answered 429 with Retry-After instead of 401.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

#: More addresses than this in one window are counted under one key: memory stays bounded.
MAX_CLIENTS = 10_000
OVERFLOW = "*"


@dataclass
class _Window:
    start: float
    refused: int = 0
    unrecorded: int = 0


@dataclass(frozen=True)
class Decision:
    """What one refusal means: rows to record now ((client, count) pairs), and whether the
    client is over its limit (then: 429, retry after `retry_after` seconds)."""

    record: list[tuple[str, int]]
    limited: bool
    retry_after: int


class RefusalGate:
    """Per-address windows of refusals, one per server process; requests count from many
    threads, so each count is taken under a lock (none is lost)."""

    def __init__(self, limit: int = 30, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def refused(self, client: str | None, now: float) -> Decision:
        """Count one refusal for `client` at `now` (monotonic seconds)."""
        with self._lock:
            return self._count(client, now)

    def _count(self, client: str | None, now: float) -> Decision:
        record = self._expired(now)
        key = client or "unknown"
        if key not in self._windows and len(self._windows) >= MAX_CLIENTS:
            key = OVERFLOW
        found = self._windows.setdefault(key, _Window(now))
        found.refused += 1
        if found.refused == 1:
            record.append((key, 1))
        else:
            found.unrecorded += 1
        wait = max(1, round(found.start + self.window - now))
        return Decision(record, found.refused > self.limit, wait)

    def drain(self) -> list[tuple[str, int]]:
        """Every count not recorded yet (the server is stopping)."""
        with self._lock:
            pending = [(k, w.unrecorded) for k, w in self._windows.items() if w.unrecorded]
            self._windows.clear()
        return pending

    def _expired(self, now: float) -> list[tuple[str, int]]:
        done = [k for k, w in self._windows.items() if now - w.start >= self.window]
        pending = [(k, self._windows[k].unrecorded) for k in done
                   if self._windows[k].unrecorded]
        for key in done:
            del self._windows[key]
        return pending

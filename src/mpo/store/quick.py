"""Read-only lookups for shell completion, on the bare DB-API driver.

Completion must answer in about the time of `mpo --help`, so this module imports neither
SQLAlchemy nor SQLModel, opens SQLite read-only (it can never create or write a file), and
runs one indexed range query.
"""

from __future__ import annotations

import sqlite3
import uuid

from mpo.core.selection import prefix_bounds
from mpo.store import urls


def task_ids(url: str, prefix: str, limit: int = 50) -> list[str]:
    """Up to `limit` task ids starting with `prefix` (one hex character or more)."""
    bounds = prefix_bounds(prefix, minimum=1)
    if bounds is None:
        return []
    low, high = bounds
    url = urls.normalise(url)
    if urls.is_sqlite(url):
        path = urls.sqlite_path(url)
        if path is None or not path.exists():
            return []
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5) as conn:
            rows = conn.execute(
                "SELECT id FROM task WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ?",
                (low.hex, high.hex, limit),
            ).fetchall()
        return [str(uuid.UUID(r[0])) for r in rows]
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, connect_timeout=2) as conn:
        rows = conn.execute(
            "SELECT id::text FROM task WHERE id BETWEEN %s AND %s ORDER BY id LIMIT %s",
            (low, high, limit),
        ).fetchall()
    return [r[0] for r in rows]

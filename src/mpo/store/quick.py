"""Read-only lookups for shell completion, on the bare DB-API driver.

Completion must answer in about the time of `mpo --help`, so this module imports neither
SQLAlchemy nor SQLModel, opens SQLite read-only (it can never create or write a file), and
runs one indexed range query. Like any command it needs a credential, and it offers only
the tasks the token's principal may see (issue 10): an unknown or revoked token gets none,
and so does a token bound to a client certificate (for HTTPS only, docs/security.md).
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid

from mpo.config import urls
from mpo.core.domain.selection import prefix_bounds

#: Roles that see only their own marketplace's tasks (`permissions.MARKETPLACE_BOUND`,
#: spelled out here so completion does not import the core's permission module).
_BOUND = ("agent",)


def task_ids(url: str, token: str, prefix: str, limit: int = 50) -> list[str]:
    """Up to `limit` ids of tasks `token` may see, starting with `prefix` (1+ hex chars)."""
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
            who = conn.execute(
                "SELECT role, marketplace FROM principal WHERE token_hash = ?"
                " AND revoked_at IS NULL AND cert_fingerprint IS NULL",
                (hashlib.sha256(token.encode()).hexdigest(),),
            ).fetchone()
            if who is None:
                return []
            rows = conn.execute(
                "SELECT id FROM task WHERE id BETWEEN ? AND ? AND (? OR marketplace = ?)"
                " ORDER BY id LIMIT ?",
                (low.hex, high.hex, who[0] not in _BOUND, who[1], limit),
            ).fetchall()
        return [str(uuid.UUID(r[0])) for r in rows]
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, connect_timeout=2) as conn:
        # Binds the row-level-security context; rolled back below, so nothing is kept.
        who = conn.execute("SELECT role, marketplace FROM mpo_authenticate(%s)"
                           " WHERE cert_fingerprint IS NULL", (token,)).fetchone()
        rows = [] if who is None else conn.execute(
            "SELECT id::text FROM task WHERE id BETWEEN %s AND %s"
            " AND (%s OR marketplace = %s) ORDER BY id LIMIT %s",
            (low, high, who[0] not in _BOUND, who[1], limit),
        ).fetchall()
        conn.rollback()
    return [r[0] for r in rows]

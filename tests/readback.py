"""Reading a database back through a fresh connection, as a test's independent witness.

Tests drive the app, then look at what actually landed in the tables rather than trusting
the command's own output. Ids come back as canonical UUID strings on both databases.
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import TYPE_CHECKING, Any

from mpo.config import urls

if TYPE_CHECKING:
    from sqlalchemy import Engine


@functools.lru_cache(maxsize=32)
def _engine(url: str) -> Engine:
    """The test's own engine for `url`, without a pool: each `connect()` opens a new
    connection. Kept, so a read pays the connection only, not the engine's creation and its
    dialect's first-connect queries (a third of a PostgreSQL read; issue 26)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(urls.normalise(url), poolclass=NullPool)


def fetch(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Rows of `sql`, read on a new connection that shares nothing with the app."""
    from sqlalchemy import text

    with _engine(url).connect() as conn:
        return [dict(row._mapping) for row in conn.execute(text(sql), params)]


def execute(url: str, sql: str, **params: Any) -> None:
    """Run and commit `sql` on a new connection: a rival writer, or a tamperer."""
    from sqlalchemy import text

    with _engine(url).begin() as conn:
        conn.execute(text(sql), params)


def uid(value: Any) -> str | None:
    """A stored id (32 hex characters on SQLite, a uuid on PostgreSQL) as a UUID string."""
    return None if value is None else str(uuid.UUID(str(value)))


def _json(value: Any) -> Any:
    # SQLite hands JSON columns back as text, PostgreSQL as parsed values.
    return json.loads(value) if isinstance(value, str) else value


def tasks(url: str) -> dict[str, dict[str, Any]]:
    """Every task row, by id, JSON columns parsed."""
    rows = fetch(url, "SELECT * FROM task")
    for row in rows:
        row["tags"], row["metadata"] = _json(row["tags"]), _json(row["metadata"])
    return {str(uid(r["id"])): r for r in rows}


def events(url: str) -> list[dict[str, Any]]:
    """Every audit event, oldest first, with ids as UUID strings and the payload parsed."""
    rows = fetch(url, "SELECT * FROM task_event ORDER BY id")
    for row in rows:
        row["task_id"], row["batch_id"] = uid(row["task_id"]), uid(row["batch_id"])
        row["payload"] = _json(row["payload"])
    return rows


def statuses(url: str) -> dict[str, str]:
    """Each task's status, by id."""
    return {task_id: row["status"] for task_id, row in tasks(url).items()}


def timeless(doc: Any) -> Any:
    """A report without what the clock moves between two runs (when it was made, how long
    ago things are): two reports of the same data compare equal."""
    if isinstance(doc, dict):
        return {k: timeless(v) for k, v in doc.items() if k not in ("age_hours", "generated_at")}
    if isinstance(doc, list):
        return [timeless(v) for v in doc]
    return doc

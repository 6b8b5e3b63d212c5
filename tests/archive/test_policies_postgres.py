"""The archive's read policies are the live tables' (PostgreSQL): a migration that changes
`task`'s or `task_event`'s read policies must install the archive's again
(`archive_sql.mirror`), or this fails (issue 25)."""

from __future__ import annotations

from sqlalchemy import text

from mpo.store import archive_sql
from mpo.store.engine import make_engine
from tests import migrated

QUALS = """SELECT c.relname, p.polname, pg_get_expr(p.polqual, p.polrelid) AS qual
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
WHERE p.polcmd = 'r' AND c.relname IN ('task', 'task_event', 'task_archive',
                                         'task_event_archive')
  AND c.relnamespace = current_schema()::regnamespace"""


def test_the_archive_reads_as_the_live_tables_do(pg_url: str) -> None:
    migrated.upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            rows = list(conn.execute(text(QUALS)))
            reinstalled = archive_sql.mirror(conn)
    finally:
        engine.dispose()
    found = {(t, n): q for t, n, q in rows}
    live = [(t, n, q) for (t, n), q in found.items() if not t.endswith("_archive")]
    assert {t for t, _, _ in live} == {"task", "task_event"}
    for table, name, qual in live:
        copied = found[(f"{table}_archive", f"{name}_archived")]
        assert copied == archive_sql.mirrored(qual), name
    assert len(reinstalled) == 2 * len(live)

"""PostgreSQL as the app sees it in production: a private database for a whole test module,
and a login role in `mpo_app` (neither owner nor superuser, so policies and guards apply).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tests import pg_pool
from tests.conftest import _admin_connect, _new_database


def conninfo(url: str) -> str:
    """A libpq URL for psycopg from an mpo (SQLAlchemy) one."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def module_database() -> Iterator[str]:
    """A fresh, empty database shared by one module's tests (dropped afterwards)."""
    url = _new_database()
    try:
        yield url
    finally:
        pg_pool.discard(url)


@contextmanager
def app_login(url: str, group: str = "mpo_app") -> Iterator[str]:
    """The URL of `url`'s database for a new login role in `group` (mpo_app, or mpo_bi for
    the BI views), dropped afterwards."""
    role = f"mpo_test_{group.removeprefix('mpo_')}_{uuid.uuid4().hex[:10]}"
    with _admin_connect(url) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE {group}')
    try:
        user = url.split("://", 1)[1].split("@", 1)[0]
        yield url.replace(f"{user}@", f"{role}@", 1)
    finally:
        with _admin_connect(url) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')

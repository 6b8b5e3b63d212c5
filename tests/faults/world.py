"""What the fault harness shares: a database with principals (SQLite or a fresh PostgreSQL
one), `mpo serve` over it, `mpo` as a subprocess, and a tally the report prints.

Each fault ends with a one-line error and a documented exit code or HTTP status; nothing
acknowledged is lost. Bounded: every wait has a deadline of seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import RUN_ID, _admin_connect, _server_url, _with_database
from tests.http.conftest import Served, _populate, start, stop

#: Faults injected and acknowledged-vs-stored counts, printed at the end of the session
#: (`pytest -s tests/faults`): the numbers issue 22 asks for.
TALLY: dict[str, int] = {}


def count(name: str, n: int = 1) -> None:
    """Add `n` to a tally line."""
    TALLY[name] = TALLY.get(name, 0) + n


@contextmanager
def database(kind: str, home: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """(URL, tokens by principal) of a new database with the HTTP tests' principals."""
    if kind == "sqlite":
        (home / "data").mkdir()
        url = f"sqlite:///{home / 'data' / 'mpo.db'}"
        yield url, _populate(url)
        return
    base = _server_url()
    name = f"mpo_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    with _admin_connect(base) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = _with_database(base, name)
        yield url, _populate(url)
    finally:
        with _admin_connect(base) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def served(url: str, tokens: dict[str, str], home: Path, kind: str) -> Iterator[Served]:
    """`mpo serve` over `url` (as the owner: the faults are the world's, not RLS's)."""
    server = start(url, url, tokens, home, kind)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            stop(server)


def mpo(url: str, token: str, home: Path, *args: str, stdin: bytes | None = None,
        preexec: Callable[[], None] | None = None, prefix: Sequence[str] = (),
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`mpo ARGS` in a subprocess against `url`, acting with `token` (after `prefix`, a
    command that ends by running the rest)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")} | {
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".data"), "MPO_DATABASE_URL": url, "MPO_TOKEN": token,
        "NO_COLOR": "1"}
    return subprocess.run([*prefix, sys.executable, "-m", "mpo", *args],
                          input=stdin and stdin.decode(), capture_output=True, text=True,
                          env=environ, timeout=timeout, preexec_fn=preexec, check=False)


def one_line(stderr: str) -> str:
    """The error line of a failed command: exactly one, starting `error:`, no traceback."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, stderr
    return errors[0]


def ndjson(n: int, title: str = "fault") -> bytes:
    """`n` valid create lines for the amazon agent."""
    return "".join(json.dumps({"marketplace": "amazon", "title": f"{title} {i}",
                               "category": "analysis", "estimated_hours": 1,
                               "created_by": "marketplace-amazon"}) + "\n"
                   for i in range(n)).encode()


def stored(db_url: str, sql: str = "SELECT count(*) FROM task") -> Any:
    """One value read back on a fresh connection, as the owner."""
    from sqlalchemy import text

    from mpo.store.database import SqlDatabase

    database = SqlDatabase(db_url)
    try:
        with database.engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        database.engine.dispose()

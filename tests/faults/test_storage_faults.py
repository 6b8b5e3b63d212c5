"""Faults under a command's feet: the disk full (RLIMIT_FSIZE on the process), a read-only
database file, a PostgreSQL connection dropped in the middle of a batch. Each ends with one
`error:` line and exit 6 (docs/exit-codes.md), and the batch is all or nothing."""

from __future__ import annotations

import os
import resource
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from tests.faults.world import count, database, mpo, ndjson, one_line, stored
from tests.pg_app import conninfo

BATCH = 2_000


def _file_limit(size: int) -> Callable[[], None]:
    def limit() -> None:  # in the child, before exec: files may not grow past `size`
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return limit


def test_a_full_disk_refuses_the_batch_whole(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as (url, tokens):
        path = tmp_path / "data" / "mpo.db"
        before = stored(url)
        result = mpo(url, tokens["ana"], tmp_path, "create", "--from", "-",
                     stdin=ndjson(BATCH), preexec=_file_limit(path.stat().st_size + 8192))
        count("faults injected")
        assert result.returncode == 6, result.stderr
        assert "full" in one_line(result.stderr) or "disk" in one_line(result.stderr)
        assert stored(url) == before
        again = mpo(url, tokens["ana"], tmp_path, "create", "--from", "-", stdin=ndjson(3))
        assert again.returncode == 0, again.stderr  # room again: it works, nothing corrupt
        assert stored(url) == before + 3


def _read_only(directory: Path) -> list[str]:
    """A prefix that runs a command with `directory` mounted read-only (root, in a mount
    namespace of its own: root ignores file modes), or none, the modes sufficing."""
    if os.geteuid() != 0:
        for made in directory.iterdir():
            made.chmod(0o444)
        directory.chmod(0o555)
        return []
    if shutil.which("unshare") is None:
        pytest.skip("root without unshare(1): no way to make a file read-only for root")
    return ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"',
            str(directory)]


def test_a_read_only_database_refuses_writes(tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as (url, tokens):
        directory = tmp_path / "data"
        prefix = _read_only(directory)
        try:
            result = mpo(url, tokens["ana"], tmp_path, "create", "--from", "-",
                         stdin=ndjson(2), prefix=prefix)
        finally:
            directory.chmod(0o755)
            for made in directory.iterdir():
                made.chmod(0o644)
        count("faults injected")
        assert result.returncode == 6, result.stderr
        line = one_line(result.stderr)
        assert "readonly" in line or "read-only" in line or "unable to open" in line, line
        assert stored(url) == 0


@pytest.mark.postgres
def test_a_dropped_postgresql_connection_mid_batch_leaves_nothing(tmp_path: Path) -> None:
    with database("postgres", tmp_path) as (url, tokens):
        outcome: dict[str, object] = {}
        with psycopg.connect(conninfo(url)) as blocker:
            # Hold the table, so the batch's INSERT waits inside its transaction: then drop
            # that connection, as a failover or an admin's pg_terminate_backend would.
            blocker.execute("LOCK TABLE task IN ACCESS EXCLUSIVE MODE")

            def run() -> None:
                outcome["result"] = mpo(url, tokens["ana"], tmp_path, "create", "--from",
                                        "-", stdin=ndjson(BATCH))

            batch = threading.Thread(target=run)
            batch.start()
            victim = _waiting_backend(url, blocker)
            with psycopg.connect(conninfo(url), autocommit=True) as admin:
                assert admin.execute("SELECT pg_terminate_backend(%s)", (victim,)).fetchone()
            count("faults injected")
            blocker.rollback()
            batch.join(timeout=60)
        result = outcome["result"]
        assert getattr(result, "returncode") == 6, getattr(result, "stderr")  # noqa: B009
        assert "unavailable" in one_line(getattr(result, "stderr"))  # noqa: B009
        assert stored(url) == 0


def _waiting_backend(url: str, blocker: psycopg.Connection[object]) -> int:
    """The pid of the backend waiting on the blocker's lock (a deadline of seconds)."""
    deadline = time.monotonic() + 30
    with psycopg.connect(conninfo(url), autocommit=True) as watcher:
        while time.monotonic() < deadline:
            row = watcher.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> %s", (blocker.info.backend_pid,)
            ).fetchone()
            if row is not None:
                return int(row[0])
            time.sleep(0.05)
    raise AssertionError("the batch never reached the locked table")

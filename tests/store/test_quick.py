"""Completion lookups on the bare driver: read-only, one range query, never an error."""

from __future__ import annotations

import uuid
from pathlib import Path

from mpo.store.database import SqlDatabase
from mpo.store.quick import task_ids
from tests.builders import make_task


def test_ids_with_a_prefix_come_back_in_order(db: SqlDatabase, database_url: str) -> None:
    made = sorted(str(make_task(db).id) for _ in range(3))
    for task_id in made:
        assert task_ids(database_url, task_id[:8]) == [task_id]
    assert task_ids(database_url, made[0][:4], limit=1) == [made[0]]  # the lowest id first


def test_short_or_non_hex_prefixes_complete_nothing(db: SqlDatabase, database_url: str) -> None:
    make_task(db)
    assert task_ids(database_url, "abc") == []
    assert task_ids(database_url, "zzzz") == []


def test_a_missing_sqlite_file_completes_nothing_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    assert task_ids(f"sqlite:///{path}", uuid.uuid4().hex[:6]) == []
    assert not path.exists()

"""Completion lookups on the bare driver: read-only, one range query, never an error, and
only the ids the credential's principal may see (issue 10)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from mpo.core.usecases import identity
from mpo.store.database import SqlDatabase
from mpo.store.quick import task_ids
from tests.builders import ADMIN, RULES, make_task


@pytest.fixture
def viewer(db: SqlDatabase) -> str:
    return identity.add_principal(db, ADMIN, "vera", "viewer", None, RULES).token


def test_ids_with_a_prefix_come_back_in_order(db: SqlDatabase, database_url: str,
                                              viewer: str) -> None:
    made = sorted(str(make_task(db).id) for _ in range(3))
    for task_id in made:
        assert task_ids(database_url, viewer, task_id[:8]) == [task_id]
    assert task_ids(database_url, viewer, made[0][:4], limit=1) == [made[0]]  # lowest first


def test_short_or_non_hex_prefixes_complete_nothing(db: SqlDatabase, database_url: str,
                                                    viewer: str) -> None:
    make_task(db)
    assert task_ids(database_url, viewer, "abc") == []
    assert task_ids(database_url, viewer, "zzzz") == []


def test_a_missing_sqlite_file_completes_nothing_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    assert task_ids(f"sqlite:///{path}", "mpo_x", uuid.uuid4().hex[:6]) == []
    assert not path.exists()


def test_an_agent_completes_only_its_marketplace_and_a_bad_token_nothing(
        db: SqlDatabase, database_url: str, viewer: str) -> None:
    amazon = str(make_task(db).id)
    shopee = str(make_task(db, marketplace="shopee", created_by="marketplace-shopee").id)
    agent = identity.rotate_token(db, ADMIN, "marketplace-amazon").token
    every = [amazon, shopee]
    assert [i for i in every if task_ids(database_url, viewer, i[:6])] == every
    assert [i for i in every if task_ids(database_url, agent, i[:6])] == [amazon]
    assert task_ids(database_url, "mpo_not-a-token", amazon[:6]) == []
    identity.revoke_principal(db, ADMIN, "vera")
    assert task_ids(database_url, viewer, amazon[:6]) == []

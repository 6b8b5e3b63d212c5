"""The event horizon cannot be frozen by a login that takes a writer's floor lock without
writing (issue 22, finding 8): an `mpo_app` login, without authenticating, holds
`pg_advisory_lock_shared` on a floor key (in its session, or in an idle transaction that
writes nothing) while another principal creates; a watcher still sees the event."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import Any

import psycopg
import pytest

from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.validation import Rules
from mpo.core.usecases import identity, stream
from mpo.core.usecases.create import create_tasks
from mpo.store.database import SqlDatabase
from mpo.store.migrate import upgrade
from tests.pg_app import app_login, conninfo, module_database

FLOOR_LOCK = import_module("mpo.store.migrations.versions.0011_event_horizon").FLOOR_LOCK
ROOT = Actor("root", Role.ADMIN)
TASK = {"marketplace": "amazon", "title": "t", "category": "analysis", "estimated_hours": 1}


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    with module_database() as url:
        upgrade(url)
        token = identity.bootstrap_admin(SqlDatabase(url), "root")
        with app_login(url) as app_url:
            yield {"app": app_url, "token": token}


SQUATS = {
    "session": ("SELECT pg_advisory_lock_shared(%s)", True),
    "idle transaction": ("SELECT pg_advisory_xact_lock_shared(%s)", False),
}


@pytest.mark.parametrize("squat", list(SQUATS))
def test_a_floor_lock_held_without_writing_does_not_freeze_the_stream(
        world: dict[str, Any], squat: str) -> None:
    db = SqlDatabase(world["app"], token=world["token"])
    with db.read() as uow:
        start = uow.stream.newest_id()
    sql, autocommit = SQUATS[squat]
    with psycopg.connect(conninfo(world["app"]), autocommit=autocommit) as squatter:
        squatter.execute(sql, ((FLOOR_LOCK << 32) + start,))  # no token: nobody
        created = create_tasks(db, ROOT, [("t", TASK)], Rules())
        seen = stream.read_after(db, ROOT, start, TaskQuery())
        assert [(e.task_id, e.action) for e in seen] == [(created.tasks[0].task.id, "create")]

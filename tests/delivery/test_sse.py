"""The SSE frames `GET /api/v1/events` will serve: ids to resume with, keep-alives, the
actor's visibility."""

from __future__ import annotations

import json
from itertools import islice

from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Status
from mpo.delivery.sse import frames, last_event_id
from mpo.store.database import SqlDatabase
from tests.builders import task_in
from tests.events_fixtures import sqlite_db

__all__ = ["sqlite_db"]  # fixtures

AMAZON = Actor("marketplace-amazon", Role.AGENT, "amazon")


def test_frames_resume_after_last_event_id_and_show_only_what_the_actor_may_see(
    sqlite_db: SqlDatabase,
) -> None:
    task_in(sqlite_db, Status.PENDING, marketplace="shopee", created_by="marketplace-shopee")
    mine = task_in(sqlite_db, Status.AWAITING_APPROVAL)  # events 2 and 3
    task_in(sqlite_db, Status.PENDING, marketplace="shopee", created_by="marketplace-shopee")
    with sqlite_db.waker() as waker:
        stream = frames(sqlite_db, AMAZON, waker, TaskQuery(), Rules(),
                        after_id=last_event_id("2"), idle=0.05)
        retry, event, idle = islice(stream, 3)
    assert retry == "retry: 2000\n\n"
    lines = event.splitlines()
    assert lines[:2] == ["id: 3", "event: task.submit"]
    assert json.loads(lines[2].removeprefix("data: "))["data"]["task_id"] == str(mine.id)
    assert idle == ": keep-alive\n\n"
    assert last_event_id(None) is None and last_event_id("x") is None

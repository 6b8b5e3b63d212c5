"""The stream's use cases: visible events after an id, following live, consumers' cursors."""

from __future__ import annotations

import threading

import pytest

from mpo.core.domain.errors import PermissionDenied
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases import stream
from mpo.store.database import SqlDatabase
from tests.builders import move, task_in
from tests.events_fixtures import sqlite_db

__all__ = ["sqlite_db"]  # fixtures

ADMIN = Actor("ana", Role.ADMIN)
AMAZON = Actor("marketplace-amazon", Role.AGENT, "amazon")


def _now(db: SqlDatabase) -> int:
    return stream.start_of(db, ADMIN, None, None)


def test_an_agent_reads_only_its_own_marketplaces_events(sqlite_db: SqlDatabase) -> None:
    start = _now(sqlite_db)
    mine = task_in(sqlite_db, Status.AWAITING_APPROVAL)
    task_in(sqlite_db, Status.AWAITING_APPROVAL, marketplace="shopee",
            created_by="marketplace-shopee")
    query = stream.checked_query(sqlite_db, AMAZON, TaskQuery(), Rules())
    events = stream.read_after(sqlite_db, AMAZON, start, query)
    assert {e.task_id for e in events} == {mine.id}
    assert [e.action for e in events] == ["create", "submit"]
    with pytest.raises(PermissionDenied):
        stream.checked_query(sqlite_db, AMAZON, TaskQuery(marketplaces=("shopee",)), Rules())


def test_filters_pick_events_by_task_and_action(sqlite_db: SqlDatabase) -> None:
    start = _now(sqlite_db)
    task_in(sqlite_db, Status.APPROVED, priority="high")
    task_in(sqlite_db, Status.APPROVED, priority="low")
    query = stream.checked_query(sqlite_db, ADMIN, TaskQuery(priorities=("high",)), Rules())
    events = stream.read_after(sqlite_db, ADMIN, start, query, actions=["approve"])
    assert [(e.action, e.to_status) for e in events] == [("approve", "approved")]


def test_follow_yields_new_events_as_they_commit_and_empty_pages_when_idle(
    sqlite_db: SqlDatabase,
) -> None:
    task = task_in(sqlite_db, Status.PENDING)
    start = _now(sqlite_db)
    with sqlite_db.waker() as waker:
        pages = stream.follow(sqlite_db, ADMIN, waker, after_id=start, query=TaskQuery(), idle=0.2)
        assert next(pages) == []
        timer = threading.Timer(0.1, lambda: move(sqlite_db, task, Action.SUBMIT))
        timer.start()
        page = next(pages)
        timer.join()
    assert [e.action for e in page] == ["submit"]


def test_a_consumer_resumes_after_what_it_acknowledged(sqlite_db: SqlDatabase) -> None:
    start = _now(sqlite_db)
    shipper = f"shipper-{start}"
    task = task_in(sqlite_db, Status.APPROVED)
    events = stream.read_after(sqlite_db, ADMIN, start, TaskQuery())
    # A new consumer starts where told (else from now), and its cursor is kept at once.
    assert stream.start_of(sqlite_db, ADMIN, shipper, start) == start
    assert stream.start_of(sqlite_db, ADMIN, shipper, None) == start
    assert stream.start_of(sqlite_db, ADMIN, f"{shipper}-late", None) == events[-1].id
    stream.acknowledge(sqlite_db, ADMIN, shipper, events[:2])
    assert stream.start_of(sqlite_db, ADMIN, shipper, None) == events[1].id
    assert [e.id for e in stream.read_after(sqlite_db, ADMIN, events[1].id, TaskQuery())] == [
        e.id for e in events[2:]]
    assert stream.start_of(sqlite_db, ADMIN, shipper, 1) == 1  # --since-event wins
    move(sqlite_db, task, Action.ASSIGN)
    # Names are per principal: the agent's `shipper` is its own cursor, starting from now.
    newest = _now(sqlite_db)
    assert stream.start_of(sqlite_db, AMAZON, shipper, None) == newest
    assert stream.start_of(sqlite_db, ADMIN, shipper, None) == events[1].id

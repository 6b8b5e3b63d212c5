"""PostgreSQL: the events' NOTIFY goes out after the commit, from the store (migration 0024),
not from the trigger, whose NOTIFY held every commit at one cluster-wide lock through its
fsync; a commit whose NOTIFY never came still wakes a waiting reader (the quiet look)."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest
from sqlalchemy import Connection

from mpo.core.domain.clock import utcnow
from mpo.core.tables.models import TaskEvent
from mpo.store import announce, wake
from mpo.store.database import SqlDatabase
from mpo.store.stream import CHANNEL
from tests.builders import make_task
from tests.events_fixtures import module_pg
from tests.pg_app import conninfo

__all__ = ["module_pg"]  # fixture


def _event(task_id: uuid.UUID) -> TaskEvent:
    return TaskEvent(task_id=task_id, actor="ana", action="submit", from_status="pending",
                     to_status="awaiting_approval", at=utcnow(), payload={})


def test_one_notify_comes_once_the_commit_has_landed_and_none_before(module_pg: str) -> None:
    db = SqlDatabase(module_pg)
    task = make_task(db)
    with psycopg.connect(conninfo(module_pg), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        with db.write() as uow:
            uow.tasks.add_events([_event(task.id), _event(task.id)])
            uow.session.flush()
            assert list(listener.notifies(timeout=0.3, stop_after=1)) == []
            uow.commit()
        heard = list(listener.notifies(timeout=5, stop_after=1))
        assert [(n.channel, n.payload) for n in heard] == [(CHANNEL, "")]
        assert list(listener.notifies(timeout=0.3, stop_after=1)) == []  # one per commit


def test_a_commit_without_events_notifies_nobody(module_pg: str) -> None:
    db = SqlDatabase(module_pg)
    with psycopg.connect(conninfo(module_pg), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        with db.write() as uow:
            uow.stream.advance(f"c-{uuid.uuid4().hex[:6]}", "ana", 1)
            uow.commit()
        assert list(listener.notifies(timeout=0.3, stop_after=1)) == []


def test_the_trigger_no_longer_notifies(module_pg: str) -> None:
    task = make_task(SqlDatabase(module_pg))
    with psycopg.connect(conninfo(module_pg), autocommit=True) as listener, \
            psycopg.connect(conninfo(module_pg)) as writer:
        listener.execute(f"LISTEN {CHANNEL}")
        writer.execute("INSERT INTO task_event (task_id, actor, action, from_status, "
                       "to_status, at, payload) VALUES (%s, 'ana', 'note', 'pending', "
                       "'pending', now(), '{}')", (task.id,))
        writer.commit()
        assert list(listener.notifies(timeout=0.3, stop_after=1)) == []


def test_a_commit_whose_notify_never_came_still_wakes_the_reader(module_pg: str) -> None:
    """Events written past mpo's store (or a process that died between its commit and its
    NOTIFY): the waker sees the horizon move within its quiet look."""
    db = SqlDatabase(module_pg)
    task = make_task(db)
    with db.waker() as waker:
        with db.read() as uow:  # the reader reaches the newest id
            uow.stream.newest_id()
        assert waker.wait(0.2) is False

        def write() -> None:
            with psycopg.connect(conninfo(module_pg)) as writer:
                writer.execute("INSERT INTO task_event (task_id, actor, action, from_status, "
                               "to_status, at, payload) VALUES (%s, 'ana', 'note', "
                               "'pending', 'pending', now(), '{}')", (task.id,))

        timer = threading.Timer(0.2, write)
        started = time.monotonic()
        timer.start()
        assert waker.wait(10) is True
        assert time.monotonic() - started < wake.QUIET_POLL_S + 2
        timer.join()


@pytest.mark.parametrize("notify", [
    "SELECT pg_notify(%s, (1 / 0)::text)",  # refused
    "SELECT pg_terminate_backend(pg_backend_pid()), %s",  # the connection dropped
], ids=["refused", "dropped"])
def test_a_failed_notify_never_fails_the_commit(module_pg: str, notify: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit has landed when the NOTIFY goes out: a NOTIFY that fails is not the
    commit's failure (readers find its events at their next look), and its connection
    goes nowhere near a pool again."""
    db = SqlDatabase(module_pg)
    task = make_task(db)
    invalidated: list[bool] = []
    real = announce.announce

    def spy(connection: Connection) -> None:
        real(connection)
        invalidated.append(connection.invalidated)

    monkeypatch.setattr(announce, "NOTIFY", notify)
    monkeypatch.setattr(announce, "announce", spy)
    with db.write() as uow:
        uow.tasks.add_events([_event(task.id)])
        uow.commit()
    assert invalidated == [True]
    with db.read() as uow:
        assert len(uow.tasks.events(task_id=task.id)) == 2

"""The stream's store side: ids in commit order, NOTIFY on commit, wakers, cursors.

On PostgreSQL an id comes from a sequence at INSERT time; without the append lock a reader
polling `id > cursor` could pass an id whose transaction commits later. Two interleaved
transactions show it cannot happen.
"""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

from mpo.core.clock import utcnow
from mpo.core.models import TaskEvent
from mpo.store.database import SqlDatabase
from mpo.store.migrate import upgrade
from mpo.store.stream import CHANNEL
from tests.builders import make_task
from tests.events_fixtures import migrated_url, module_pg

__all__ = ["migrated_url", "module_pg"]  # fixtures


def _event(task_id: uuid.UUID) -> TaskEvent:
    return TaskEvent(task_id=task_id, actor="ana", action="submit", from_status="pending",
                     to_status="awaiting_approval", at=utcnow(), payload={})


def _ids_after(db: SqlDatabase, after: int) -> list[int]:
    with db.read() as uow:
        return [e.id for e in uow.stream.after(after) if e.id is not None]


def test_a_later_transaction_cannot_commit_an_event_before_an_open_one(module_pg: str) -> None:
    db = SqlDatabase(module_pg)
    task = make_task(db)
    cursor = _ids_after(db, 0)[-1]
    second_done = threading.Event()

    def second_writer() -> None:
        with db.write() as uow:
            uow.tasks.add_events([_event(task.id)])
            uow.commit()
        second_done.set()

    with db.write() as first:
        first.tasks.add_events([_event(task.id)])
        first.session.flush()  # the first transaction holds its id, uncommitted
        rival = threading.Thread(target=second_writer)
        rival.start()
        # The second transaction queues behind the first: a poller sees nothing yet,
        # rather than the second's id with the first's still to come.
        assert not second_done.wait(0.5)
        assert _ids_after(db, cursor) == []
        first.commit()
    rival.join(10)
    ids = _ids_after(db, cursor)
    assert len(ids) == 2 and ids == sorted(ids)


def test_a_commit_with_events_notifies_listeners(module_pg: str) -> None:
    db = SqlDatabase(module_pg)
    conninfo = module_pg.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        make_task(db)
        heard = list(listener.notifies(timeout=5, stop_after=1))
    assert [n.channel for n in heard] == [CHANNEL]


def test_a_waker_wakes_on_another_connections_commit(migrated_url: str) -> None:
    db = SqlDatabase(migrated_url)
    make_task(db)
    with db.waker() as waker:
        assert waker.wait(0.2) is False  # nothing committed: it times out
        timer = threading.Timer(0.3, lambda: make_task(SqlDatabase(migrated_url)))
        started = time.monotonic()
        timer.start()
        assert waker.wait(10) is True
        assert time.monotonic() - started < 2
        timer.join()


def test_a_cursor_only_moves_forward(migrated_url: str) -> None:
    db = SqlDatabase(migrated_url)
    name = f"shipper-{uuid.uuid4().hex[:6]}"
    for event_id in (5, 3, 9):
        with db.write() as uow:
            uow.stream.advance(name, "ana", event_id)
            uow.commit()
    with db.read() as uow:
        found = uow.stream.cursor(name)
    assert found is not None and (found.owner, found.last_event_id) == ("ana", 9)


def test_a_rolled_back_transaction_announces_nothing(module_pg: str) -> None:
    db = SqlDatabase(module_pg)
    task = make_task(db)
    conninfo = module_pg.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        with pytest.raises(RuntimeError), db.write() as uow:
            uow.tasks.add_events([_event(task.id)])
            uow.session.flush()
            raise RuntimeError("the use case failed")
        assert list(listener.notifies(timeout=0.3, stop_after=1)) == []


def test_rls_keeps_events_and_cursors_to_those_who_may_see_them(pg_url: str) -> None:
    from mpo.core import identity, stream
    from mpo.core.create import create_tasks
    from mpo.core.permissions import Actor, Role
    from mpo.core.validation import Rules

    module_pg = pg_url  # a database of its own: it bootstraps the first admin
    upgrade(module_pg)
    owner = SqlDatabase(module_pg)
    root = identity.bootstrap_admin(owner, "root")
    assert root is not None
    admin = Actor("root", Role.ADMIN)
    tokens = {m: identity.add_principal(owner, admin, f"marketplace-{m}", "agent", m,
                                        Rules()).token for m in ("amazon", "shopee")}
    role = f"mpo_test_{uuid.uuid4().hex[:10]}"
    conninfo = module_pg.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE mpo_app')
    try:
        app_url = module_pg.replace("postgres@", f"{role}@", 1)
        amazon_db = SqlDatabase(app_url, token=tokens["amazon"])
        amazon = identity.authenticate(amazon_db, tokens["amazon"])
        for marketplace in ("amazon", "shopee"):
            create_tasks(owner, admin, [("task", {
                "marketplace": marketplace, "title": "t", "category": "analysis",
                "estimated_hours": 1, "created_by": f"marketplace-{marketplace}"})], Rules())
        with amazon_db.read() as uow:  # no filter at all: the database itself hides shopee's
            seen = uow.stream.after(0)
            visible = {uow.tasks.get(e.task_id) is not None for e in seen}
        assert seen and visible == {True}
        stream.acknowledge(amazon_db, amazon, "amazon-feed", seen)
        shopee_db = SqlDatabase(app_url, token=tokens["shopee"])
        with shopee_db.read() as uow:
            assert uow.stream.cursor("amazon-feed") is None
        from mpo.core.webhooks import add_webhook

        add_webhook(SqlDatabase(app_url, token=root), admin, "https://example.com/h", [], "s")
        with psycopg.connect(conninfo.replace("postgres@", f"{role}@", 1)) as conn:
            conn.execute("SELECT * FROM mpo_authenticate(%s)", (tokens["shopee"],))
            moved = conn.execute("UPDATE event_cursor SET last_event_id = 0")
            assert moved.rowcount == 0
            assert conn.execute("SELECT count(*) FROM webhook").fetchone() == (0,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("INSERT INTO webhook (url, events, secret_name, created_by,"
                             " created_at) VALUES ('https://evil', '[]', 's', 'x', now())")
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')

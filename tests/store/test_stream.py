"""The stream's store side: no event skipped, NOTIFY on commit, wakers, cursors.

On PostgreSQL an id comes from a sequence at INSERT time and writers do not wait for each
other; a reader polling `id > cursor` could pass an id whose transaction commits later, so
reads stop at the event horizon (migration 0011). Interleaved transactions show that no
event is skipped, that writers do not queue, and that a rollback still wakes readers.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from importlib import import_module

import psycopg
import pytest
from sqlalchemy import text

from mpo.core.domain.clock import utcnow
from mpo.core.tables.models import TaskEvent
from mpo.store.database import SqlDatabase
from mpo.store.stream import CHANNEL
from tests.builders import make_task
from tests.events_fixtures import migrated_url, module_pg
from tests.migrated import upgrade

__all__ = ["migrated_url", "module_pg"]  # fixtures
FLOOR_LOCK = import_module("mpo.store.migrations.versions.0011_event_horizon").FLOOR_LOCK


def _event(task_id: uuid.UUID) -> TaskEvent:
    return TaskEvent(task_id=task_id, actor="ana", action="submit", from_status="pending",
                     to_status="awaiting_approval", at=utcnow(), payload={})


def _ids_after(db: SqlDatabase, after: int) -> list[int]:
    with db.read() as uow:
        return [e.id for e in uow.stream.after(after) if e.id is not None]


class OpenWriter:
    """A transaction in its own thread that appends one event and stays open (holding its
    id, uncommitted) until told to commit or roll back."""

    def __init__(self, db: SqlDatabase, task_id: uuid.UUID, *, forged_floor: bool = False):
        self.db, self.task_id, self.forged_floor = db, task_id, forged_floor
        self.flushed, self.go, self.done = threading.Event(), threading.Event(), threading.Event()
        self.commit = True
        self.event_id: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.flushed.wait(10)

    def _run(self) -> None:
        try:
            with self.db.write() as uow:
                if self.forged_floor:  # try to lift the floor above the ids to come
                    uow.session.execute(text("SET LOCAL mpo.event_floor = '2000000000'"))
                event = _event(self.task_id)
                uow.tasks.add_events([event])
                uow.session.flush()
                self.event_id = event.id
                self.flushed.set()
                self.go.wait(10)
                if self.commit:
                    uow.commit()
        finally:
            self.flushed.set()
            self.done.set()

    def finish(self, *, commit: bool) -> None:
        self.commit = commit
        self.go.set()
        assert self.done.wait(10)
        self.thread.join(10)


def _append(db: SqlDatabase, task_id: uuid.UUID) -> int:
    with db.write() as uow:
        event = _event(task_id)
        uow.tasks.add_events([event])
        uow.commit()
    assert event.id is not None
    return event.id


@pytest.mark.parametrize("forged_floor", [False, True], ids=["honest", "forged-floor"])
def test_a_reader_stops_below_an_open_transactions_id_and_writers_do_not_wait(
    module_pg: str, forged_floor: bool,
) -> None:
    db = SqlDatabase(module_pg)
    task = make_task(db)
    cursor = _ids_after(db, 0)[-1]
    first = OpenWriter(db, task.id, forged_floor=forged_floor)
    started = time.monotonic()
    second = _append(db, task.id)  # commits at once: no writer waits for another
    assert time.monotonic() - started < 5
    assert first.event_id is not None and first.event_id < second
    # The second's id is committed, but the first's, lower, may still commit: a reader
    # that took the second now would skip the first for good. It sees neither yet.
    assert _ids_after(db, cursor) == []
    with db.read() as uow:
        assert uow.stream.newest_id() <= cursor
    first.finish(commit=True)
    assert _ids_after(db, cursor) == [first.event_id, second]


def test_a_rollback_below_committed_events_releases_them_and_wakes_the_reader(
    module_pg: str,
) -> None:
    db = SqlDatabase(module_pg)
    task = make_task(db)
    cursor = _ids_after(db, 0)[-1]
    with db.waker() as waker:
        first = OpenWriter(db, task.id)
        second = _append(db, task.id)
        assert _ids_after(db, cursor) == []
        while waker.wait(0.3):  # the second's NOTIFY: nothing readable yet
            assert _ids_after(db, cursor) == []
        # A rollback notifies nobody; the waker sees the horizon move instead.
        timer = threading.Timer(0.2, lambda: first.finish(commit=False))
        started = time.monotonic()
        timer.start()
        assert waker.wait(10) is True
        assert time.monotonic() - started < 3
        timer.join()
    assert _ids_after(db, cursor) == [second]


def test_concurrent_writers_and_a_following_reader_lose_no_event(module_pg: str) -> None:
    """Writers that commit or roll back in random order, with random pauses between their
    INSERT and their COMMIT; a reader that follows with a cursor sees every committed
    event exactly once, in id order."""
    db = SqlDatabase(module_pg)
    task = make_task(db)
    cursor = _ids_after(db, 0)[-1]
    committed: list[int] = []
    lock = threading.Lock()
    writing = threading.Event()
    writing.set()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(12):
            with db.write() as uow:
                events = [_event(task.id) for _ in range(rng.randint(1, 3))]
                uow.tasks.add_events(events)
                uow.session.flush()
                time.sleep(rng.uniform(0, 0.05))
                if rng.random() < 0.2:
                    continue  # rolled back
                uow.commit()
            with lock:
                committed.extend(e.id for e in events if e.id is not None)

    seen: list[int] = []
    with db.waker() as waker:
        writers = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for thread in writers:
            thread.start()
        last = cursor
        while True:
            done = not any(t.is_alive() for t in writers)
            page = _ids_after(db, last)
            seen.extend(page)
            last = page[-1] if page else last
            if done and not page:
                break
            if not page:
                waker.wait(1.0)
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert seen == sorted(committed)


def test_a_transaction_of_many_event_statements_holds_one_floor_lock(module_pg: str) -> None:
    """A batch writes one event per statement (each after its task's move): its floor is
    locked once, not once per statement (the lock table is finite)."""
    db = SqlDatabase(module_pg)
    task = make_task(db)
    with db.write() as uow:
        for _ in range(50):
            uow.tasks.add_events([_event(task.id)])
            uow.session.flush()
        floors = uow.session.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = "
            f"{FLOOR_LOCK} AND objsubid = 1 AND pid = pg_backend_pid()")).scalar_one()
    assert floors == 1


def test_the_horizon_refuses_a_snapshot_older_than_its_statement(module_pg: str) -> None:
    conninfo = module_pg.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with pytest.raises(psycopg.errors.RaiseException, match="READ COMMITTED"):
            conn.execute("SELECT * FROM mpo_event_horizon()")


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


@pytest.mark.parametrize("read_first", [False, True])
def test_an_ended_waker_returns_within_a_poll_not_at_its_timeout(migrated_url: str,
                                                                  read_first: bool) -> None:
    """A server's stream whose client left (or whose server is stopping) frees its thread
    at once; a PostgreSQL waker waits one way before its reader's first read, another
    after (it also looks at the horizon)."""
    db = SqlDatabase(migrated_url)
    make_task(db)
    gone = threading.Event()
    with db.waker(gone.is_set) as waker:
        if read_first:
            _ids_after(db, 0)
        timer = threading.Timer(0.2, gone.set)
        started = time.monotonic()
        timer.start()
        assert waker.wait(30) is False
        assert time.monotonic() - started < 3
        timer.join()
        assert waker.wait(30) is False  # ended stays ended: no wait at all


def test_a_cursor_only_moves_forward(migrated_url: str) -> None:
    db = SqlDatabase(migrated_url)
    name = f"shipper-{uuid.uuid4().hex[:6]}"
    for event_id in (5, 3, 9):
        with db.write() as uow:
            uow.stream.advance(name, "ana", event_id)
            uow.commit()
    with db.read() as uow:
        found = uow.stream.cursor(name, "ana")
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
    from mpo.core.domain.permissions import Actor, Role
    from mpo.core.domain.validation import Rules
    from mpo.core.usecases import identity, stream
    from mpo.core.usecases.create import create_tasks

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
            assert uow.stream.cursor("amazon-feed", "marketplace-amazon") is None
        from mpo.core.usecases.webhooks import add_webhook

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

"""The task repository: conditional moves that report a miss, prefix ranges that agree on
both databases, and the list and log queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from mpo.core.domain.selection import TaskQuery, prefix_bounds
from mpo.core.tables.models import Task, TaskEvent
from mpo.store.database import SqlDatabase
from mpo.store.repository import SqlTaskRepository

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def add(db: SqlDatabase, *tasks: Task) -> None:
    with db.write() as uow:
        for task in tasks:
            uow.tasks.add(task)
        uow.commit()


def task(**overrides: object) -> Task:
    return Task(**{"marketplace": "amazon", "created_by": "x", "title": "t",
                   "category": "analysis", "priority": "low", "estimated_hours": 1,
                   **overrides})


def repo_call(db: SqlDatabase, method: str, *args: object, **kwargs: object) -> object:
    with db.write() as uow:
        assert isinstance(uow.tasks, SqlTaskRepository)
        result = getattr(uow.tasks, method)(*args, **kwargs)
        uow.commit()
    return result


def test_a_move_from_the_expected_status_hits_one_row(db: SqlDatabase) -> None:
    t = task()
    add(db, t)
    assert repo_call(db, "move", t.id, "pending", "awaiting_approval", {"submitted_at": T0})
    assert repo_call(db, "status_of", t.id) == "awaiting_approval"


def test_a_move_from_another_status_hits_nothing_and_the_status_tells_why(
    db: SqlDatabase,
) -> None:
    t = task(status="approved")
    add(db, t)
    assert not repo_call(db, "move", t.id, "pending", "awaiting_approval", {})
    assert repo_call(db, "status_of", t.id) == "approved"  # wrong state


def test_a_move_of_a_missing_task_hits_nothing_and_it_has_no_status(db: SqlDatabase) -> None:
    missing = uuid.uuid4()
    assert not repo_call(db, "move", missing, "pending", "awaiting_approval", {})
    assert repo_call(db, "status_of", missing) is None  # not found


IDS = [
    "3f29ffff-ffff-ffff-ffff-ffffffffffff",
    "3f2a0000-0000-0000-0000-000000000000",
    "3f2a91c0-0000-4000-8000-000000000001",
    "3f2a91c0-ffff-4000-8000-000000000002",
    "3f2affff-ffff-ffff-ffff-ffffffffffff",
    "3f2b0000-0000-0000-0000-000000000000",
    "00000000-0000-0000-0000-000000000001",
    "ffffffff-ffff-ffff-ffff-fffffffffffe",
]


@pytest.mark.parametrize("prefix", ["3f2a", "3f2a91c0", "3f2a91c0-f", "3f29", "3f2b", "0000",
                                    "ffff", "3f2a0000-0000-0000-0000-000000000000"])
def test_prefix_ranges_find_exactly_the_ids_that_start_with_the_prefix(
    db: SqlDatabase, prefix: str
) -> None:
    add(db, *(task(id=uuid.UUID(i)) for i in IDS))
    bounds = prefix_bounds(prefix)
    assert bounds is not None
    found = repo_call(db, "by_prefix", *bounds, limit=10)
    assert isinstance(found, list)
    wanted = prefix.replace("-", "")
    assert sorted(str(t.id) for t in found) == sorted(
        i for i in IDS if i.replace("-", "").startswith(wanted))


def test_find_filters_orders_and_limits(db: SqlDatabase) -> None:
    add(db,
        task(title="old", created_at=T0, priority="high"),
        task(title="mid", created_at=T0 + timedelta(days=1), marketplace="shopee"),
        task(title="new", created_at=T0 + timedelta(days=2), assigned_to="bea",
             status="in_progress"))

    def titles(**query: object) -> list[str]:
        found = repo_call(db, "find", TaskQuery(**query))  # type: ignore[arg-type]
        assert isinstance(found, list)
        return [t.title for t in found]

    assert titles() == ["new", "mid", "old"]
    assert titles(newest_first=False, limit=2) == ["old", "mid"]
    assert titles(marketplaces=("amazon",)) == ["new", "old"]
    assert titles(priorities=("high",)) == ["old"]
    assert titles(statuses=("in_progress", "pending")) == ["new", "mid", "old"]
    assert titles(assigned_to=("bea",)) == ["new"]
    assert titles(since=T0 + timedelta(days=1)) == ["new", "mid"]
    assert titles(until=T0 + timedelta(days=1)) == ["old"]


def test_timestamps_come_back_timezone_aware_utc(db: SqlDatabase) -> None:
    zoned = datetime(2026, 1, 1, 9, 0, tzinfo=UTC) + timedelta(0)
    t = task(created_at=zoned)
    add(db, t)
    got = repo_call(db, "get", t.id)
    assert isinstance(got, Task)
    assert got.created_at == zoned and got.created_at.tzinfo is UTC


def test_naive_timestamps_are_refused(db: SqlDatabase) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        add(db, task(created_at=datetime(2026, 1, 1)))


def test_events_filter_and_keep_the_newest_shown_oldest_first(db: SqlDatabase) -> None:
    a, b = task(), task(marketplace="shopee")
    add(db, a, b)
    batch = uuid.uuid4()
    events = [
        TaskEvent(task_id=a.id, actor="ana", action="create", to_status="pending", at=T0),
        TaskEvent(task_id=b.id, actor="bot", action="create", to_status="pending", at=T0),
        TaskEvent(task_id=a.id, batch_id=batch, actor="ana", action="submit",
                  from_status="pending", to_status="awaiting_approval",
                  at=T0 + timedelta(hours=1)),
        TaskEvent(task_id=b.id, batch_id=batch, actor="ana", action="submit",
                  from_status="pending", to_status="awaiting_approval",
                  at=T0 + timedelta(hours=1)),
    ]
    repo_call(db, "add_events", events)

    def seen(**filters: object) -> list[tuple[str, str]]:
        found = repo_call(db, "events", **filters)
        assert isinstance(found, list)
        return [(e.actor, e.action) for e in found]

    assert seen() == [("ana", "create"), ("bot", "create"), ("ana", "submit"), ("ana", "submit")]
    assert seen(task_id=b.id) == [("bot", "create"), ("ana", "submit")]
    assert seen(actor="bot") == [("bot", "create")]
    assert seen(actions=("submit",), limit=1) == [("ana", "submit")]
    assert seen(batch_id=batch) == [("ana", "submit"), ("ana", "submit")]
    assert seen(since=T0 + timedelta(minutes=30)) == [("ana", "submit"), ("ana", "submit")]
    assert seen(marketplace="shopee") == [("bot", "create"), ("ana", "submit")]
    assert seen(limit=2) == [("ana", "submit"), ("ana", "submit")]

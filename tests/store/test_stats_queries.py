"""`mpo.store.stats_queries`: the SQLite plans agree with each other and with PostgreSQL's
`percentile_cont`, and the long plans read the indexes that make them fast."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from mpo.core.domain.stats_query import Aggregates, By, StatsQuery, resolve_window
from mpo.core.tables.models import Task
from mpo.store.database import SqlDatabase
from mpo.store.stats_queries import SqlStatsQueries
from tests.migrated import upgrade
from tests.stats_fixture import D, at, build

LONG = {"short_window": 0.0, "sort_at_most": 0}  # the cube's index, walks in index order
SHORT = {"short_window": 1e9, "sort_at_most": 10**9}  # stamp indexes, sorts


def query(by: By = By.MARKETPLACE, marketplaces: tuple[str, ...] = (), **window: Any
          ) -> StatsQuery:
    return StatsQuery(resolve_window(now=at(30), **window), marketplaces, by, at(18))


def aggregate(db: SqlDatabase, q: StatsQuery, **plan: Any) -> Aggregates:
    with db.read() as uow:
        return SqlStatsQueries(uow.session, **plan).aggregate(q)


@pytest.fixture
def sqlite(tmp_path: Path) -> SqlDatabase:
    url = f"sqlite:///{tmp_path / 'stats.db'}"
    upgrade(url)
    build(url)
    return SqlDatabase(url)


@pytest.mark.parametrize("q", [
    query(day="2026-03-02"),
    query(day="2026-03-03", marketplaces=("shopee",)),
    query(since="2026-03-01", until="2026-03-04", by=By.DAY),
    query(since="2026-03-01T12:00", until="2026-03-02T12:00", by=By.ASSIGNEE),
    query(day="2026-01-15", by=By.AGENT),
], ids=["day", "edge-shopee", "by-day", "half-days", "empty"])
def test_the_long_and_the_short_plans_give_the_same_numbers(sqlite: SqlDatabase,
                                                            q: StatsQuery) -> None:
    assert aggregate(sqlite, q, **LONG) == aggregate(sqlite, q, **SHORT)


def _random_history(url: str, seed: int) -> None:
    """Tasks decided and completed at random minutes, so every n has its own offsets."""
    rng = random.Random(seed)
    upgrade(url)
    db = SqlDatabase(url)
    with db.write() as uow:
        for i in range(37):
            created = D + timedelta(minutes=rng.randint(0, 600))
            submitted = created + timedelta(minutes=rng.randint(1, 900))
            decided = submitted + timedelta(minutes=rng.randint(1, 3000), seconds=i)
            approved = rng.random() < 0.8
            started = decided + timedelta(minutes=rng.randint(0, 500))
            done = approved and rng.random() < 0.7
            uow.session.add(Task(
                id=uuid.UUID(int=rng.getrandbits(128)), marketplace=rng.choice(("amazon",
                                                                               "shein")),
                created_by="marketplace-amazon", title=f"t{i}", category="analysis",
                status="completed" if done else "approved" if approved else "rejected",
                priority="low", estimated_hours=rng.choice((0.5, 1, 2.5, 4, 8)),
                actual_hours=rng.choice((0.25, 1, 3, 7.5)) if done else None,
                created_at=created, submitted_at=submitted,
                approved_at=decided if approved else None,
                rejected_at=None if approved else decided,
                rejection_code=None if approved else "other",
                started_at=started if done else None,
                completed_at=started + timedelta(minutes=rng.randint(5, 4000)) if done else None,
                assigned_to="ana" if done else None))
        uow.commit()


@pytest.mark.postgres
def test_sqlite_offsets_interpolate_like_percentile_cont(tmp_path: Path, pg_url: str) -> None:
    lite = f"sqlite:///{tmp_path / 'random.db'}"
    for url in (lite, pg_url):
        _random_history(url, seed=42)
    for since, until in (("2026-03-02", "2026-03-06"), ("2026-03-02T06:00", "2026-03-03"),
                         ("2026-03-03", "2026-03-04T07:30")):
        q = query(since=since, until=until)
        pg = aggregate(SqlDatabase(pg_url), q)
        for plan in (LONG, SHORT):
            mine = aggregate(SqlDatabase(lite), q, **plan)
            for name in ("turnaround", "execution", "lead", "ratio"):
                ours, theirs = getattr(mine, name), getattr(pg, name)
                assert ours.n == theirs.n, name
                assert ours.median == pytest.approx(theirs.median, abs=1e-6), name
                assert ours.p90 == pytest.approx(theirs.p90, abs=1e-6), name


@contextmanager
def captured(db: SqlDatabase) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)


def test_the_long_plans_read_their_indexes_in_order(sqlite: SqlDatabase) -> None:
    with captured(sqlite) as statements:
        aggregate(sqlite, query(day="2026-03-02"), **LONG)
    plans = {}
    with sqlite.engine.connect() as conn:
        for statement, parameters in statements:
            if statement.lstrip().startswith(("SELECT", "WITH")):
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                plans[statement] = " | ".join(r[-1] for r in rows)

    def plan_of(fragment: str) -> str:
        return next(p for s, p in plans.items() if fragment in s)

    cube = plan_of("WITH cube AS")
    assert "COVERING INDEX ix_task_stats_cube" in cube
    assert "TEMP B-TREE FOR GROUP BY" not in cube.split("SCAN cube")[0]
    assert "INDEX ix_task_turnaround_hours" in plan_of("coalesce(approved_at, rejected_at))")
    assert "TEMP B-TREE" not in plan_of("julianday(completed_at) - julianday(started_at)")
    for rejections in ("SELECT rejection_code, count(*)", "SELECT rejection_reason, sum(n)"):
        assert "COVERING INDEX ix_task_rejections" in plan_of(rejections)
    assert "ix_task_awaiting_since" in plan_of("status = 'awaiting_approval'")


def test_the_overlapped_cube_is_read_again_when_a_write_slips_in(sqlite: SqlDatabase) -> None:
    q = query(since="2026-03-01", until="2026-03-04", by=By.DAY)
    before = aggregate(sqlite, q, **LONG)
    with sqlite.read() as uow:
        uow.session.execute(text("SELECT count(*) FROM task")).scalar()  # this snapshot
        build(sqlite.url)  # eleven more tasks, committed by other connections meanwhile
        during = SqlStatsQueries(uow.session, **LONG).aggregate(q)
    after = aggregate(sqlite, q, **LONG)

    assert during == before
    assert after.total.created == 2 * before.total.created

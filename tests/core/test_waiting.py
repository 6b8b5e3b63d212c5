"""`wait_for`: tasks reach a state, are declined, or the wait times out; agents wait only
on what they can see."""

from __future__ import annotations

import threading
import time

import pytest

from mpo.core.domain.errors import NotFound
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases.waiting import Goal, Outcome, timeout_seconds, wait_for
from mpo.store.database import SqlDatabase
from tests.builders import move, task_in
from tests.events_fixtures import sqlite_db

__all__ = ["sqlite_db"]  # fixtures

ADMIN = Actor("ana", Role.ADMIN)


def _later(seconds: float, work: object) -> threading.Timer:
    timer = threading.Timer(seconds, work)  # type: ignore[arg-type]
    timer.start()
    return timer


def test_a_wait_ends_on_the_decision(sqlite_db: SqlDatabase) -> None:
    task = task_in(sqlite_db, Status.AWAITING_APPROVAL)
    decided: list[float] = []

    def approve() -> None:
        move(SqlDatabase(sqlite_db.url), task, Action.APPROVE)
        decided.append(time.monotonic())

    with sqlite_db.waker() as waker:
        timer = _later(0.3, approve)
        result = wait_for(sqlite_db, ADMIN, waker, [str(task.id)[:8]], Goal.DECIDED, 30)
        ended = time.monotonic()
    timer.join()
    assert result.outcome is Outcome.REACHED
    assert [t.status for t in result.tasks] == ["approved"]
    # Woken by the decision, not by the 30 s timeout; how fast is bench/events.py's figure.
    assert ended - decided[0] < 10


SETTLES = [
    (Status.REJECTED, Goal.DECIDED, Outcome.REACHED),
    (Status.REJECTED, Goal.APPROVED, Outcome.DECLINED),
    (Status.REJECTED, Goal.COMPLETED, Outcome.DECLINED),
    (Status.CANCELLED, Goal.DECIDED, Outcome.DECLINED),
    (Status.CANCELLED, Goal.APPROVED, Outcome.DECLINED),
    (Status.IN_PROGRESS, Goal.APPROVED, Outcome.REACHED),
    (Status.COMPLETED, Goal.DECIDED, Outcome.REACHED),
    (Status.APPROVED, Goal.COMPLETED, Outcome.WAITING),
    (Status.PENDING, Goal.ANY_CHANGE, Outcome.WAITING),
]


def test_each_goal_settles_on_the_right_statuses(sqlite_db: SqlDatabase) -> None:
    tasks = {status: task_in(sqlite_db, status) for status, _, _ in SETTLES}
    with sqlite_db.waker() as waker:
        outcomes = [(status, goal, wait_for(sqlite_db, ADMIN, waker, [str(tasks[status].id)],
                                            goal, 0.05).outcome)
                    for status, goal, _ in SETTLES]
    assert outcomes == SETTLES


def test_any_change_ends_at_the_next_event(sqlite_db: SqlDatabase) -> None:
    task = task_in(sqlite_db, Status.PENDING)
    with sqlite_db.waker() as waker:
        timer = _later(0.2, lambda: move(sqlite_db, task, Action.SUBMIT))
        result = wait_for(sqlite_db, ADMIN, waker, [str(task.id)], Goal.ANY_CHANGE, 10)
    timer.join()
    assert (result.outcome, result.tasks[0].status) == (Outcome.REACHED, "awaiting_approval")


def test_one_declined_task_declines_the_wait_once_all_are_settled(sqlite_db: SqlDatabase) -> None:
    approved, rejected = task_in(sqlite_db, Status.APPROVED), task_in(sqlite_db, Status.REJECTED)
    with sqlite_db.waker() as waker:
        result = wait_for(sqlite_db, ADMIN, waker, [str(approved.id), str(rejected.id)],
                          Goal.APPROVED, 5)
    assert result.outcomes == [Outcome.REACHED, Outcome.DECLINED]
    assert result.outcome is Outcome.DECLINED


def test_an_agent_cannot_wait_on_another_marketplaces_task(sqlite_db: SqlDatabase) -> None:
    task = task_in(sqlite_db, Status.AWAITING_APPROVAL, marketplace="shopee",
                   created_by="marketplace-shopee")
    agent = Actor("marketplace-amazon", Role.AGENT, "amazon")
    with sqlite_db.waker() as waker, pytest.raises(NotFound):
        wait_for(sqlite_db, agent, waker, [str(task.id)], Goal.DECIDED, 1)


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("30s", 30), ("10m", 600),
                                                ("1h", 3600), ("0.5", 0.5)])
def test_timeouts_read_as_seconds(text: str, seconds: float) -> None:
    assert timeout_seconds(text) == seconds


def test_a_bad_timeout_names_the_field() -> None:
    with pytest.raises(Exception, match="timeout: 'soon'"):
        timeout_seconds("soon")

"""A small, hand-checkable history for the stats tests, built through the real use cases
with a controlled clock. Times are hours from D = 2026-03-02 00:00 UTC.

task  market  agent   est  created  submitted  decided           started    completed
A     amazon  amazon    4   1        2          approve 4         5 ana      9, 5 h
B     amazon  amazon    2   1        2          approve 8         8 ana      10, 2 h
C     shopee  shopee   10   1        3          reject 4 dup
D     shopee  shopee    1   1        3          approve 13        14 bruno   20, 3 h
E     amazon  master    8   1        3          reject 7 low-val
F     amazon  amazon    3   1        2          reject 3 dup
G     amazon  amazon    6   1
H     shopee  shopee    2   1        5
J     amazon  amazon    5   1        2          approve 11        21 bruno
K     amazon  amazon    2  -2       -1          approve 0 (edge)
L     shopee  shopee    4  22       23          approve 24 (edge)

Agents are `marketplace-amazon`, `marketplace-shopee` and `marketplace-master`. K is
approved exactly at D's start (inside D's window), L exactly at its end (inside D+1's).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from tests.team import add_members

D = datetime(2026, 3, 2, tzinfo=UTC)
ADMIN = Actor("boss", Role.ADMIN)

#: name: (marketplace, agent, estimated hours, created, submitted)
TASKS: dict[str, tuple[str, str, float, float, float | None]] = {
    "A": ("amazon", "marketplace-amazon", 4, 1, 2),
    "B": ("amazon", "marketplace-amazon", 2, 1, 2),
    "C": ("shopee", "marketplace-shopee", 10, 1, 3),
    "D": ("shopee", "marketplace-shopee", 1, 1, 3),
    "E": ("amazon", "marketplace-master", 8, 1, 3),
    "F": ("amazon", "marketplace-amazon", 3, 1, 2),
    "G": ("amazon", "marketplace-amazon", 6, 1, None),
    "H": ("shopee", "marketplace-shopee", 2, 1, 5),
    "J": ("amazon", "marketplace-amazon", 5, 1, 2),
    "K": ("amazon", "marketplace-amazon", 2, -2, -1),
    "L": ("shopee", "marketplace-shopee", 4, 22, 23),
}
#: (hour, task, action, params)
MOVES: list[tuple[float, str, Action, TransitionParams]] = [
    (4, "A", Action.APPROVE, TransitionParams()),
    (5, "A", Action.ASSIGN, TransitionParams(assignee="ana")),
    (9, "A", Action.COMPLETE, TransitionParams(actual_hours=5)),
    (8, "B", Action.APPROVE, TransitionParams()),
    (8, "B", Action.ASSIGN, TransitionParams(assignee="ana")),
    (10, "B", Action.COMPLETE, TransitionParams(actual_hours=2)),
    (4, "C", Action.REJECT, TransitionParams(reason_code="duplicate", reason="same as A")),
    (13, "D", Action.APPROVE, TransitionParams()),
    (14, "D", Action.ASSIGN, TransitionParams(assignee="bruno")),
    (20, "D", Action.COMPLETE, TransitionParams(actual_hours=3)),
    (7, "E", Action.REJECT, TransitionParams(reason_code="low-value", reason="not worth it")),
    (3, "F", Action.REJECT, TransitionParams(reason_code="duplicate", reason="same as A")),
    (11, "J", Action.APPROVE, TransitionParams()),
    (21, "J", Action.ASSIGN, TransitionParams(assignee="bruno")),
    (0, "K", Action.APPROVE, TransitionParams()),
    (24, "L", Action.APPROVE, TransitionParams()),
]


def at(hours: float) -> datetime:
    """D plus `hours`."""
    return D + timedelta(hours=hours)


def build(url: str) -> dict[str, str]:
    """Create the history in the (migrated) database at `url`; the task ids by name."""
    add_members(url)
    db = SqlDatabase(url)
    rules = Rules()
    ids: dict[str, str] = {}
    for name, (marketplace, agent, estimated, created, submitted) in TASKS.items():
        item: dict[str, Any] = {"marketplace": marketplace, "title": f"task {name}",
                                "category": "optimization", "estimated_hours": estimated,
                                "created_by": agent}
        role = Role.MASTER if agent == "marketplace-master" else Role.AGENT
        made = create_tasks(db, Actor(agent, role, marketplace), [("task", item)],
                                         rules,
                                         clock=lambda h=created: at(h))
        ids[name] = str(made.tasks[0].task.id)
        if submitted is not None:
            _move(db, ids[name], Action.SUBMIT, TransitionParams(), submitted)
    for hour, name, action, params in MOVES:
        _move(db, ids[name], action, params, hour)
    return ids


def _move(db: SqlDatabase, task_id: str, action: Action, params: TransitionParams,
          hour: float) -> None:
    transition(db, ADMIN, action, Selection(refs=(task_id,)), params, Rules(),
                            clock=lambda: at(hour))

"""Tasks in any lifecycle state, made through the real use cases on a migrated database.

The `db` fixture is re-exported by the conftest of tests/core and tests/store.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from mpo.core.domain.errors import Conflict
from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.results import BatchResult
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.tables.models import Task
from mpo.core.usecases import identity
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.reads import show_task
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from tests.migrated import upgrade
from tests.team import add_members

ADMIN = Actor("ana", Role.ADMIN)
#: The amazon agent (added by the `db` fixture): tasks it proposes, the admin may decide.
AGENT = Actor("marketplace-amazon", Role.AGENT, "amazon")
RULES = Rules()

#: The actions that lead from a new (pending) task to each status.
PATH: dict[Status, tuple[Action, ...]] = {
    Status.PENDING: (),
    Status.AWAITING_APPROVAL: (Action.SUBMIT,),
    Status.APPROVED: (Action.SUBMIT, Action.APPROVE),
    Status.REJECTED: (Action.SUBMIT, Action.REJECT),
    Status.IN_PROGRESS: (Action.SUBMIT, Action.APPROVE, Action.ASSIGN),
    Status.COMPLETED: (Action.SUBMIT, Action.APPROVE, Action.ASSIGN, Action.COMPLETE),
    Status.CANCELLED: (Action.CANCEL,),
}

#: Values that satisfy every action's requirements.
PARAMS = TransitionParams(note="n", reason_code="duplicate", reason="same as another",
                          assignee="bea", actual_hours=3.0)


@pytest.fixture
def db(database_url: str) -> SqlDatabase:
    """A migrated database on each backend, opened the way the CLI opens it."""
    upgrade(database_url)
    add_members(database_url)
    database = SqlDatabase(database_url)
    proposer(database)
    return database


def draft(**overrides: Any) -> dict[str, Any]:
    """A valid task request; created for the amazon agent so the admin may approve it."""
    return {"marketplace": "amazon", "title": "Rewrite GEO titles", "category": "optimization",
            "estimated_hours": 4, "created_by": "marketplace-amazon", **overrides}


def proposer(db: SqlDatabase, name: str = "marketplace-amazon",
             marketplace: str = "amazon") -> str:
    """Add an agent tasks may be created for (`created_by` names an active principal);
    one that exists already is kept."""
    with contextlib.suppress(Conflict):
        identity.add_principal(db, ADMIN, name, "agent", marketplace, RULES)
    return name


def make_task(db: SqlDatabase, **overrides: Any) -> Task:
    """One new pending task, proposed by its creator itself (an agent), so the admin may
    approve it: nobody approves a task they created or recorded."""
    request = draft(**overrides)
    agent = Actor(request["created_by"], Role.AGENT, request["marketplace"])
    result = create_tasks(db, agent, [("task", request)], RULES)
    return result.tasks[0].task


def move(db: SqlDatabase, task: Task, action: Action, **flags: Any) -> BatchResult:
    """Apply one action to one task, by its full id."""
    return transition(db, ADMIN, action, Selection(refs=(str(task.id),)), PARAMS,
                                   RULES, **flags)


def task_in(db: SqlDatabase, status: Status, **overrides: Any) -> Task:
    """A task brought to `status` through the lifecycle, as the database now holds it."""
    task = make_task(db, **overrides)
    for action in PATH[status]:
        move(db, task, action)
    return show_task(db, ADMIN, str(task.id))[0]

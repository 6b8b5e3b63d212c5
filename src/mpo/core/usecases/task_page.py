"""Reads a person's pages need in one call each (issue 23): a task with everything about it,
and the work waiting for someone. They compose the read use cases the CLI has (`show`,
`estimate`, `subtask list`, `route --dry-run`, `list`); nothing here decides anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mpo.core.domain.permissions import Verb
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.vocabulary import Status

if TYPE_CHECKING:
    from mpo.core.domain.estimate import Prediction
    from mpo.core.domain.permissions import Actor
    from mpo.core.domain.routing_rules import Rule
    from mpo.core.domain.validation import Rules
    from mpo.core.ports import Database
    from mpo.core.tables.models import Subtask, Task, TaskEvent

#: How many tasks "My work" lists in each part.
WORK_LIMIT = 200


@dataclass(frozen=True)
class TaskPage:
    """A task, its history (oldest first), prediction, subtasks, and where routing would
    send it (`rule -> person`, for an approved unassigned task and those who may route)."""

    task: Task
    events: list[TaskEvent]
    prediction: Prediction | None
    subtasks: list[Subtask]
    suggestion: str | None


def task_page(db: Database, actor: Actor, ref: str, routing: Sequence[Rule]) -> TaskPage:
    """Everything the task page shows, as the actor may see it."""
    from mpo.core.usecases.predictions import estimate_task
    from mpo.core.usecases.reads import show_task
    from mpo.core.usecases.routing import route
    from mpo.core.usecases.subtasks import list_subtasks

    task, events = show_task(db, actor, ref)
    _, prediction = estimate_task(db, actor, str(task.id))
    _, subtasks = list_subtasks(db, actor, str(task.id))
    suggestion = None
    if (routing and actor.may(Verb.ROUTE) and task.status == Status.APPROVED.value
            and task.assigned_to is None):
        plan = route(db, actor, routing, task_ids=frozenset({task.id}), dry_run=True)
        suggestion = plan.items[0].detail if plan.items else None
    return TaskPage(task, events, prediction, subtasks, suggestion)


@dataclass(frozen=True)
class Work:
    """A person's work: what is assigned to them and in progress, and approved tasks
    nobody has taken yet (which a member may start)."""

    mine: list[Task]
    open: list[Task]


def my_work(db: Database, actor: Actor, rules: Rules) -> Work:
    """The actor's tasks in progress and the approved, unassigned ones, oldest first."""
    from mpo.core.usecases.reads import list_tasks

    mine = list_tasks(db, actor, TaskQuery(
        statuses=(Status.IN_PROGRESS.value,), assigned_to=(actor.name,), newest_first=False,
        limit=WORK_LIMIT), rules)
    approved = list_tasks(db, actor, TaskQuery(
        statuses=(Status.APPROVED.value,), newest_first=False, limit=WORK_LIMIT), rules)
    return Work(mine, [t for t in approved if t.assigned_to is None])

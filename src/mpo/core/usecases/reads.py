"""Reading tasks and the audit trail, as far as the actor may see."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from mpo.core.domain import filter_values, permissions, validation
from mpo.core.domain.errors import UsageError
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.ports import ArchiveStore, Database, TaskRepository, UnitOfWork
from mpo.core.tables.models import Task, TaskEvent
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.lookup import visible
from mpo.core.usecases.workflow_apply import known_statuses


def list_tasks(db: Database, actor: Actor, query: TaskQuery, rules: Rules) -> list[Task]:
    """The tasks a query matches, as far as the actor may see."""
    with refusals_recorded(db, actor, Verb.LIST):
        permissions.require(actor, Verb.LIST)
        filter_values.check(query, rules, query.statuses,
                           known_statuses(db, query.statuses))
        scoped = permissions.scope(actor, query)
        with db.read() as uow:
            return uow.tasks.find(scoped)


def show_task(db: Database, actor: Actor, ref: str) -> tuple[Task, list[TaskEvent]]:
    """One task and its history, oldest event first: a live task, or an archived one."""
    with refusals_recorded(db, actor, Verb.SHOW):
        permissions.require(actor, Verb.SHOW)
        with db.read() as uow:
            task = visible(uow, actor, ref, archived=True)
            return task, _history(uow, task.id)


def _history(uow: UnitOfWork, task_id: uuid.UUID) -> list[TaskEvent]:
    """A task's events, live or archived (a task's events move with it)."""
    return uow.tasks.events(task_id=task_id) or uow.archive.events(task_id=task_id)


def list_events(
    db: Database,
    actor: Actor,
    *,
    task_ref: str | None = None,
    by: str | None = None,
    actions: Sequence[str] = (),
    batch: str | None = None,
    since: datetime | None = None,
    marketplace: str | None = None,
    limit: int | None = None,
    rules: Rules | None = None,
    archived: bool = False,
) -> list[TaskEvent]:
    """The audit trail, oldest first, filtered by task, actor, action, batch or time.

    A task's trail is found live or archived; with `archived`, the whole archived trail
    is read too (merged in id order, the newest `limit`). With `rules`, a marketplace
    that can never match is refused, as `list_tasks` does."""
    with refusals_recorded(db, actor, Verb.LOG):
        permissions.require(actor, Verb.LOG)
        if marketplace is not None and rules is not None:
            validation.one_of("marketplace", marketplace, rules.marketplaces)
        for a in actions:
            validation.one_of("action", a, [x.value for x in Action])
        batch_id = None
        if batch is not None:
            try:
                batch_id = uuid.UUID(batch)
            except ValueError:
                raise UsageError(f"batch: {batch!r} is not a batch id (a full UUID)") from None
        with db.read() as uow:
            task_id = None
            if task_ref is not None:
                task_id = visible(uow, actor, task_ref, archived=True).id
            sources: list[TaskRepository | ArchiveStore] = [uow.tasks, uow.archive]
            found: list[TaskEvent] = []
            for source in sources:
                if found and not archived:
                    break  # a live task's events are all live
                if source is uow.archive and not archived and task_id is None:
                    break
                found = sorted([*source.events(
                    task_id=task_id, actor=by, actions=tuple(actions), batch_id=batch_id,
                    since=since, marketplace=marketplace, limit=limit), *found],
                    key=_event_id)
            return found[-limit:] if limit is not None else found


def _event_id(event: TaskEvent) -> int:
    return event.id or 0

"""The use cases. Each one is one unit of work: one transaction, its audit events inside it.

They take plain values, an `Actor` and a `Database`, and know nothing of the command line;
any Python program can drive them (see README, "Use it as a library").
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mpo.core import assignees, fields, permissions, validation
from mpo.core.errors import (
    AmbiguousId,
    BatchRejected,
    Conflict,
    IdempotencyConflict,
    InvalidTransition,
    ItemProblem,
    MpoError,
    NotFound,
    PermissionDenied,
    UsageError,
)
from mpo.core.identity import refusals_recorded
from mpo.core.lifecycle import TransitionParams, stamps, transition_for, why_not
from mpo.core.models import Task, TaskEvent, utcnow
from mpo.core.permissions import Actor, Verb
from mpo.core.ports import Database, DuplicateKey, UnitOfWork
from mpo.core.selection import Selection, TaskQuery, prefix_bounds
from mpo.core.validation import Rules, TaskDraft
from mpo.core.vocabulary import Action, Status

Progress = Callable[[int, int], None]
Clock = Callable[[], datetime]

#: An input item: a label for messages (`line 3`, `task`) and the raw request or why it
#: could not even be read.
Item = tuple[str, Mapping[str, Any] | MpoError]


@dataclass(frozen=True)
class Created:
    """A task returned by `create`, and whether this call made it (False on a retry)."""

    task: Task
    created: bool


@dataclass(frozen=True)
class CreateResult:
    """What a (bulk) create did, and the items it skipped with `skip_invalid`."""

    batch_id: uuid.UUID
    tasks: list[Created]
    skipped: list[ItemProblem] = field(default_factory=list)


@dataclass(frozen=True)
class ItemResult:
    """What a batch verb did (or would do) to one task."""

    task: Task
    from_status: str
    to_status: str
    outcome: str  # changed | would_change | skipped
    detail: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """The outcome of a batch verb: one batch id on every event it wrote."""

    action: Action
    batch_id: uuid.UUID
    dry_run: bool
    items: list[ItemResult]
    skipped: list[ItemProblem] = field(default_factory=list)

    @property
    def task_ids(self) -> frozenset[uuid.UUID]:
        """The tasks the batch changes (or would change)."""
        return frozenset(i.task.id for i in self.items if i.outcome != "skipped")


def _fail(action: str, problems: list[ItemProblem], errors: list[MpoError], items: int) -> None:
    """Raise the error of a one-item request as itself, or all of a batch's at once.

    A batch keeps its labels (`line 3`, the id typed) and says that nothing changed, even
    when only one of its items is bad.
    """
    if items == 1 and len(errors) == 1 and len(problems) == 1:
        raise errors[0]
    raise BatchRejected(action, problems)


def _short(task: Task) -> str:
    return str(task.id)[:8]


def _problem(label: str, error: MpoError) -> ItemProblem:
    return ItemProblem(label, error.message, error.exit_code)


# --- create -------------------------------------------------------------------------------


def create_tasks(
    db: Database,
    actor: Actor,
    items: Sequence[Item],
    rules: Rules,
    *,
    skip_invalid: bool = False,
    clock: Clock = utcnow,
) -> CreateResult:
    """Create tasks in one transaction; a retried idempotency key returns the existing task."""
    with refusals_recorded(db, actor, Verb.CREATE):
        permissions.require(actor, Verb.CREATE)
        drafts: list[tuple[str, TaskDraft, str | None]] = []
        problems: list[ItemProblem] = []
        errors: list[MpoError] = []
        for label, raw in items:
            try:
                if isinstance(raw, MpoError):
                    raise raw
                data, on_behalf_of = permissions.creation(actor, raw)
                drafts.append((label, validation.draft(data, rules), on_behalf_of))
            except MpoError as exc:
                problems.append(_problem(label, exc))
                errors.append(exc)
        if not items:
            raise UsageError("create: no tasks given")
        if problems and not skip_invalid:
            _fail("create", problems, errors, len(items))
        # A concurrent create with the same idempotency key can win between our lookup and our
        # insert (PostgreSQL, READ COMMITTED); the second attempt then finds its task.
        for attempt in (1, 2):
            try:
                with db.write() as uow:
                    result = _insert(uow, actor, drafts, skip_invalid, clock)
                    uow.commit()
                return CreateResult(result.batch_id, result.tasks, problems + result.skipped)
            except DuplicateKey:
                if attempt == 2:
                    raise Conflict("create: idempotency key taken concurrently; retry") from None
        raise AssertionError("unreachable")


def _content(task: Task) -> dict[str, Any]:
    """A stored task's content, in the shape `TaskDraft.content()` compares against."""
    row = fields.task_row(task)
    return {key: row[key] for key in validation.CONTENT_KEYS}


def _insert(
    uow: UnitOfWork,
    actor: Actor,
    drafts: list[tuple[str, TaskDraft, str | None]],
    skip_invalid: bool,
    clock: Clock,
) -> CreateResult:
    batch_id = uuid.uuid4()
    now = clock()
    by_key: dict[str, Task] = {}
    created: list[Created] = []
    events: list[TaskEvent] = []
    problems: list[ItemProblem] = []
    errors: list[MpoError] = []
    for label, draft, on_behalf_of in drafts:
        key = draft.idempotency_key
        existing = None
        if key is not None:
            existing = by_key.get(key) or uow.tasks.by_idempotency_key(key)
        if existing is not None:
            if _content(existing) != draft.content():
                exc = IdempotencyConflict(
                    f"idempotency_key {key!r} was used for task {existing.id} "
                    "with different content"
                )
                problems.append(_problem(label, exc))
                errors.append(exc)
            else:
                created.append(Created(existing, created=False))
            continue
        task = Task(
            marketplace=draft.marketplace,
            created_by=draft.created_by,
            title=draft.title,
            description=draft.description,
            category=draft.category,
            status=Status.PENDING.value,
            priority=draft.priority,
            estimated_hours=draft.estimated_hours,
            created_at=now,
            tags=list(draft.tags),
            meta=dict(draft.metadata),
            idempotency_key=key,
        )
        uow.tasks.add(task)
        if key is not None:
            by_key[key] = task
        payload = {"on_behalf_of": on_behalf_of} if on_behalf_of else {}
        events.append(
            TaskEvent(task_id=task.id, batch_id=batch_id, actor=actor.name,
                      action=Action.CREATE.value, from_status=None,
                      to_status=Status.PENDING.value, at=now, payload=payload)
        )
        created.append(Created(task, created=True))
    if problems and not skip_invalid:
        _fail("create", problems, errors, len(drafts))
    uow.tasks.add_events(events)
    return CreateResult(batch_id, created, problems)


# --- lifecycle verbs ----------------------------------------------------------------------


def _resolve(uow: UnitOfWork, ref: str) -> Task:
    """The one task an id prefix names."""
    bounds = prefix_bounds(ref)
    if bounds is None:
        raise UsageError(f"{ref!r} is not a task id or a unique prefix of 4+ hex characters")
    matches = uow.tasks.by_prefix(*bounds, limit=3)
    if not matches:
        raise NotFound(f"no task with id {ref}")
    if len(matches) > 1:
        shown = ", ".join(str(t.id) for t in matches[:2]) + (", ..." if len(matches) > 2 else "")
        raise AmbiguousId(f"id prefix {ref} matches several tasks ({shown}); give more characters")
    return matches[0]


def _visible(uow: UnitOfWork, actor: Actor, ref: str) -> Task:
    task = _resolve(uow, ref)
    if actor.role is permissions.Role.AGENT and task.marketplace != actor.marketplace:
        raise NotFound(f"no task with id {ref}")  # an agent cannot learn others' ids
    return task


def _select(
    uow: UnitOfWork, actor: Actor, action: Action, selection: Selection
) -> tuple[list[tuple[str, Task]], list[ItemProblem], list[MpoError]]:
    """The tasks a selection names, with why each unusable one cannot move."""
    if selection.by_filter:
        source = transition_for(action).source
        query = permissions.scope(actor, selection.query(source.value))
        candidates = [(str(t.id), t) for t in uow.tasks.find(query)]
    else:
        candidates = []
    problems: list[ItemProblem] = []
    errors: list[MpoError] = []
    seen: set[uuid.UUID] = set()
    for ref in selection.refs:
        try:
            task = _visible(uow, actor, ref)
        except MpoError as exc:
            problems.append(_problem(ref, exc))
            errors.append(exc)
            continue
        if task.id not in seen:
            seen.add(task.id)
            candidates.append((ref, task))
    usable: list[tuple[str, Task]] = []
    for label, task in candidates:
        blocker = _blocker(actor, action, task, task.status)
        if blocker is None:
            usable.append((label, task))
        else:
            problems.append(_problem(label, blocker))
            errors.append(blocker)
    return usable, problems, errors


def _blocker(actor: Actor, action: Action, task: Task, status: str) -> MpoError | None:
    """Why `action` cannot apply to `task` while it is in `status`, or None if it can."""
    if status != transition_for(action).source.value:
        return InvalidTransition(f"task {_short(task)} {why_not(action, Status(status))}")
    refusal = permissions.task_refusal(actor, action, task)
    if refusal is not None:
        return PermissionDenied(f"task {_short(task)} {refusal}")
    return None


def transition(
    db: Database,
    actor: Actor,
    action: Action,
    selection: Selection,
    params: TransitionParams,
    rules: Rules,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    expect: frozenset[uuid.UUID] | None = None,
    progress: Progress | None = None,
    clock: Clock = utcnow,
) -> BatchResult:
    """Move the selected tasks along the lifecycle, all or nothing unless `skip_invalid`.

    `expect` pins the exact set of tasks a person confirmed: if the selection now names
    another set, nothing changes.
    """
    with refusals_recorded(db, actor, action.value):
        permissions.require(actor, Verb(action.value))
        params.require(action)
        selection.check()
        validation.filters(selection, rules)
        t = transition_for(action)
        with (db.read() if dry_run else db.write()) as uow:
            if action is Action.ASSIGN and params.assignee is not None:
                assignees.require(uow, params.assignee)
            usable, problems, errors = _select(uow, actor, action, selection)
            if problems and not skip_invalid:
                _fail(action.value, problems, errors, len(usable) + len(problems))
            batch_id = uuid.uuid4()
            if dry_run:
                items = [ItemResult(task, t.source, t.target, "would_change") for _, task in usable]
                return BatchResult(action, batch_id, True, items, problems)
            if expect is not None and {task.id for _, task in usable} != expect:
                raise Conflict(
                    f"{action}: the selection changed since it was confirmed; run it again"
                )
            now = clock()
            items = []
            events: list[TaskEvent] = []
            for done, (label, task) in enumerate(usable, start=1):
                values = stamps(action, actor=actor.name, now=now, params=params,
                                assigned_to=task.assigned_to)
                if not uow.tasks.move(task.id, t.source.value, t.target.value, values):
                    # Lost a race (PostgreSQL READ COMMITTED): classify, never ignore.
                    current = uow.tasks.status_of(task.id)
                    lost = (NotFound(f"no task with id {label}") if current is None
                            else _blocker(actor, action, task, current))
                    assert lost is not None
                    if not skip_invalid:
                        raise BatchRejected(action.value, [_problem(label, lost)])
                    problems.append(_problem(label, lost))
                    continue
                events.append(
                    TaskEvent(task_id=task.id, batch_id=batch_id, actor=actor.name,
                              action=action.value, from_status=t.source.value,
                              to_status=t.target.value, reason=params.event_reason(action),
                              at=now, payload=_payload(action, params))
                )
                items.append(ItemResult(task, t.source, t.target, "changed"))
                if progress is not None:
                    progress(done, len(usable))
            uow.tasks.add_events(events)
            uow.commit()
        return BatchResult(action, batch_id, False, items, problems)


def _payload(action: Action, params: TransitionParams) -> dict[str, Any]:
    if action is Action.REJECT:
        return {"reason_code": params.reason_code}
    if action is Action.ASSIGN:
        return {"assigned_to": params.assignee}
    if action is Action.COMPLETE:
        return {"actual_hours": params.actual_hours}
    return {}


# --- reads --------------------------------------------------------------------------------


def list_tasks(db: Database, actor: Actor, query: TaskQuery, rules: Rules) -> list[Task]:
    """The tasks a query matches, as far as the actor may see."""
    with refusals_recorded(db, actor, Verb.LIST):
        permissions.require(actor, Verb.LIST)
        validation.filters(query, rules, query.statuses)
        scoped = permissions.scope(actor, query)
        with db.read() as uow:
            return uow.tasks.find(scoped)


def show_task(db: Database, actor: Actor, ref: str) -> tuple[Task, list[TaskEvent]]:
    """One task and its history, oldest event first."""
    with refusals_recorded(db, actor, Verb.SHOW):
        permissions.require(actor, Verb.SHOW)
        with db.read() as uow:
            task = _visible(uow, actor, ref)
            return task, uow.tasks.events(task_id=task.id)


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
) -> list[TaskEvent]:
    """The audit trail, oldest first, filtered by task, actor, action, batch or time.

    With `rules`, a marketplace that can never match is refused, as `list_tasks` does."""
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
            task_id = _visible(uow, actor, task_ref).id if task_ref is not None else None
            return uow.tasks.events(task_id=task_id, actor=by, actions=tuple(actions),
                                    batch_id=batch_id, since=since, marketplace=marketplace,
                                    limit=limit)


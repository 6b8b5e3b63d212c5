"""The use cases. Each one is one unit of work: one transaction, its audit events inside it.

They take plain values, an `Actor` and a `Database`, and know nothing of the command line;
any Python program can drive them (see README, "Use it as a library").
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mpo.core import assignees, permissions, ratelimit, task_fields, validation
from mpo.core.clock import Clock, utcnow
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
    ValidationError,
)
from mpo.core.identity import refusals_recorded
from mpo.core.lifecycle import TransitionParams, stamps, transition_for, why_not
from mpo.core.models import Task, TaskEvent
from mpo.core.permissions import Actor, Verb
from mpo.core.ports import Database, DuplicateKey, UnitOfWork
from mpo.core.ratelimit import RateLimits
from mpo.core.records import detached, new_ids
from mpo.core.selection import Selection, TaskQuery, prefix_bounds
from mpo.core.subtasks import hold_open
from mpo.core.validation import Rules, TaskDraft
from mpo.core.vocabulary import Action, Status

Progress = Callable[[int, int], None]

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
    limits: RateLimits | None = None,
    check: Callable[[dict[str, Any]], str | None] | None = None,
) -> CreateResult:
    """Create tasks in one transaction; a retried idempotency key returns the existing task.

    With `limits`, a principal over its configured rate is refused (`RateLimited`); `check`
    adds validation (plugins): a message it returns refuses that task.
    """
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
                checked = validation.draft(data, rules)
                refusal = None if check is None else check(data)
                if refusal is not None:
                    raise ValidationError("task", refusal)
                drafts.append((label, checked, on_behalf_of))
            except MpoError as exc:
                problems.append(_problem(label, exc))
                errors.append(exc)
        if not items:
            raise UsageError("create: no tasks given")
        drafts = _known_creators(db, drafts, problems, errors)
        if problems and not skip_invalid:
            with db.read() as uow:  # name the reused keys too, not only the invalid items
                for label, draft, _ in drafts:
                    existing = _reused(uow.tasks.by_idempotency_keys, actor, draft)
                    if existing is not None:
                        problems.append(_problem(label, existing))
                        errors.append(existing)
            order = {label: n for n, (label, _) in enumerate(items)}
            problems.sort(key=lambda p: order.get(p.item, 0))
            _fail("create", problems, errors, len(items))
        # A concurrent create with the same idempotency key can win between our lookup and our
        # insert (PostgreSQL, READ COMMITTED); the second attempt then finds its task.
        for attempt in (1, 2):
            try:
                with db.write() as uow:
                    if limits is not None:
                        ratelimit.check(uow, actor, limits, len(drafts), clock())
                    result = _insert(uow, actor, drafts, skip_invalid, clock)
                    uow.commit()
                return CreateResult(result.batch_id, result.tasks, problems + result.skipped)
            except DuplicateKey:
                if attempt == 2:
                    # Still taken after a fresh look: by a task this actor cannot see (RLS).
                    raise IdempotencyConflict(
                        "create: an idempotency_key given is already used by another task; "
                        "use a new key"
                    ) from None
        raise AssertionError("unreachable")


def _known_creators(
    db: Database,
    drafts: list[tuple[str, TaskDraft, str | None]],
    problems: list[ItemProblem],
    errors: list[MpoError],
) -> list[tuple[str, TaskDraft, str | None]]:
    """The drafts whose on-behalf creator is an active agent or master; the rest refused."""
    if all(on_behalf_of is None for _, _, on_behalf_of in drafts):
        return drafts
    with db.read() as uow:
        known = uow.principals.proposers()
    kept = []
    for label, draft, on_behalf_of in drafts:
        if on_behalf_of is None or on_behalf_of in known:
            kept.append((label, draft, on_behalf_of))
            continue
        close = difflib.get_close_matches(on_behalf_of, known, n=3, cutoff=0.5)
        roles = " or ".join(sorted(r.value for r in permissions.PROPOSERS))
        exc = ValidationError("created_by", f"no active {roles} named {on_behalf_of}"
                              + (f"; close: {', '.join(close)}" if close else ""))
        problems.append(_problem(label, exc))
        errors.append(exc)
    return kept


def _content(task: Task) -> dict[str, Any]:
    """A stored task's content, in the shape `TaskDraft.content()` compares against."""
    row = task_fields.task_row(task)
    return {key: row[key] for key in validation.CONTENT_KEYS}


def _conflict(actor: Actor, existing: Task) -> IdempotencyConflict:
    if not _may_see(actor, existing):
        # Never name a task the actor cannot see (issue 10).
        return IdempotencyConflict(
            f"idempotency_key {existing.idempotency_key!r} is already used by another task; "
            "use a new key"
        )
    return IdempotencyConflict(
        f"idempotency_key {existing.idempotency_key!r} was used for task {existing.id} "
        "with different content"
    )


def _reused(
    lookup: Callable[[Sequence[str]], dict[str, Task]], actor: Actor, draft: TaskDraft
) -> IdempotencyConflict | None:
    """The conflict if `draft`'s idempotency key names a stored task of other content (or
    one the actor cannot see)."""
    if draft.idempotency_key is None:
        return None
    existing = lookup([draft.idempotency_key]).get(draft.idempotency_key)
    if existing is None or (_may_see(actor, existing)
                            and _content(existing) == draft.content()):
        return None
    return _conflict(actor, existing)


def _insert(
    uow: UnitOfWork,
    actor: Actor,
    drafts: list[tuple[str, TaskDraft, str | None]],
    skip_invalid: bool,
    clock: Clock,
) -> CreateResult:
    """Validated drafts to rows: per-item checks, then one INSERT per table (issue 11)."""
    batch_id = uuid.uuid4()
    now = clock()
    keys = [d.idempotency_key for _, d, _ in drafts if d.idempotency_key is not None]
    by_key = uow.tasks.by_idempotency_keys(sorted(set(keys))) if keys else {}
    created: list[Created] = []
    tasks: list[Task] = []
    events: list[dict[str, Any]] = []
    problems: list[ItemProblem] = []
    errors: list[MpoError] = []
    pending, create = Status.PENDING.value, Action.CREATE.value
    ids = iter(new_ids(len(drafts)))
    for label, draft, on_behalf_of in drafts:
        key = draft.idempotency_key
        existing = by_key.get(key) if key is not None else None
        if existing is not None:
            if not _may_see(actor, existing) or _content(existing) != draft.content():
                exc = _conflict(actor, existing)
                problems.append(_problem(label, exc))
                errors.append(exc)
            else:
                created.append(Created(existing, created=False))
            continue
        task = detached(Task, {
            "id": next(ids),
            "marketplace": draft.marketplace,
            "created_by": draft.created_by,
            "recorded_by": actor.name,
            "title": draft.title,
            "description": draft.description,
            "category": draft.category,
            "status": pending,
            "priority": draft.priority,
            "estimated_hours": draft.estimated_hours,
            "created_at": now,
            "tags": list(draft.tags),
            "meta": dict(draft.metadata),
            "idempotency_key": key,
            "due_date": draft.due_date,
            "listing_id": draft.listing_id,
            "source_type": draft.source_type,
            "plan_id": draft.plan_id,
        })
        tasks.append(task)
        if key is not None:
            by_key[key] = task
        events.append({
            "task_id": task.id, "batch_id": batch_id, "actor": actor.name, "action": create,
            "from_status": None, "to_status": pending, "reason": None, "at": now,
            "payload": {"on_behalf_of": on_behalf_of} if on_behalf_of else {},
        })
        created.append(Created(task, created=True))
    if problems and not skip_invalid:
        _fail("create", problems, errors, len(drafts))
    uow.tasks.add_many(tasks)
    uow.tasks.log(events)
    return CreateResult(batch_id, created, problems)


# --- lifecycle verbs ----------------------------------------------------------------------


def _may_see(actor: Actor, task: Task) -> bool:
    return actor.role not in permissions.MARKETPLACE_BOUND or task.marketplace == actor.marketplace


def _resolve(uow: UnitOfWork, ref: str, actor: Actor) -> Task:
    """The one task an id prefix names, among those the actor may see."""
    bounds = prefix_bounds(ref)
    if bounds is None:
        raise UsageError(f"{ref!r} is not a task id or a unique prefix of 4+ hex characters")
    bound = actor.role in permissions.MARKETPLACE_BOUND
    matches = uow.tasks.by_prefix(*bounds, limit=3,
                                  marketplace=actor.marketplace if bound else None)
    if not matches:
        raise NotFound(f"no task with id {ref}")
    if len(matches) > 1:
        shown = ", ".join(str(t.id) for t in matches[:2]) + (", ..." if len(matches) > 2 else "")
        raise AmbiguousId(f"id prefix {ref} matches several tasks ({shown}); give more characters")
    return matches[0]


def _visible(uow: UnitOfWork, actor: Actor, ref: str) -> Task:
    task = _resolve(uow, ref, actor)
    if not _may_see(actor, task):
        raise NotFound(f"no task with id {ref}")  # an agent cannot learn others' ids
    return task


def _full_id(ref: str) -> uuid.UUID | None:
    """The id `ref` spells out in full (32 hex digits, dashes optional), else None."""
    hex_ = ref.strip().lower().replace("-", "")
    if len(hex_) != 32:
        return None
    try:
        return uuid.UUID(hex_)
    except ValueError:
        return None


def _resolve_all(
    uow: UnitOfWork, actor: Actor, refs: Sequence[str]
) -> list[tuple[str, Task | MpoError]]:
    """Each ref with its task or why it names none: full ids in one query, prefixes each."""
    full = {ref: _full_id(ref) for ref in refs}
    wanted = sorted({i for i in full.values() if i is not None})
    known = {t.id: t for t in uow.tasks.by_ids(wanted)} if wanted else {}
    resolved: list[tuple[str, Task | MpoError]] = []
    for ref in refs:
        task_id = full[ref]
        try:
            if task_id is None:
                resolved.append((ref, _visible(uow, actor, ref)))
                continue
            task = known.get(task_id)
            if task is None or not _may_see(actor, task):
                raise NotFound(f"no task with id {ref}")
            resolved.append((ref, task))
        except MpoError as exc:
            resolved.append((ref, exc))
    return resolved


def sources(action: Action) -> tuple[str, ...]:
    """The statuses `action` leaves from: the one place a batch's status condition is made."""
    return tuple(sorted(s.value for s in transition_for(action).sources))


def _select(
    uow: UnitOfWork, actor: Actor, action: Action, selection: Selection
) -> tuple[list[tuple[str, Task]], list[ItemProblem], list[MpoError]]:
    """The tasks a selection names, with why each unusable one cannot move."""
    if selection.by_filter:
        sources = [s.value for s in Status if s in transition_for(action).sources]
        query = permissions.scope(actor, selection.query(*sources, me=actor.name))
        candidates = [(str(t.id), t) for t in uow.tasks.find(query)]
    else:
        candidates = []
    problems: list[ItemProblem] = []
    errors: list[MpoError] = []
    seen: set[uuid.UUID] = set()
    for ref, found in _resolve_all(uow, actor, selection.refs):
        if isinstance(found, MpoError):
            problems.append(_problem(ref, found))
            errors.append(found)
            continue
        task = found
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
    if status not in sources(action):
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
            if action is Action.COMPLETE:  # open subtasks hold their task (docs/subtask.md)
                usable = hold_open(uow, usable, problems, errors)
            if problems and not skip_invalid:
                _fail(action.value, problems, errors, len(usable) + len(problems))
            batch_id = uuid.uuid4()
            if dry_run:
                items = [ItemResult(task, task.status, t.target, "would_change")
                         for _, task in usable]
                return BatchResult(action, batch_id, True, items, problems)
            if expect is not None and {task.id for _, task in usable} != expect:
                raise Conflict(
                    f"{action}: the selection changed since it was confirmed; run it again"
                )
            items = _apply(uow, actor, action, usable, params, batch_id, clock(),
                           problems, skip_invalid, progress)
            uow.commit()
        return BatchResult(action, batch_id, False, items, problems)


def _apply(
    uow: UnitOfWork,
    actor: Actor,
    action: Action,
    usable: list[tuple[str, Task]],
    params: TransitionParams,
    batch_id: uuid.UUID,
    now: datetime,
    problems: list[ItemProblem],
    skip_invalid: bool,
    progress: Progress | None,
) -> list[ItemResult]:
    """Move `usable` with one conditional UPDATE per set of equal stamps, then write the
    events of exactly the rows it moved; a row it missed lost a race and is classified."""
    t = transition_for(action)
    if progress is not None:
        progress(0, len(usable))  # before any write: the last moment others can win a race
    groups: dict[tuple[tuple[str, Any], ...], list[uuid.UUID]] = {}
    for _, task in usable:
        values = stamps(action, actor=actor.name, now=now, params=params,
                        assigned_to=task.assigned_to)
        groups.setdefault(tuple(sorted(values.items())), []).append(task.id)
    moved: set[uuid.UUID] = set()
    for values_key, ids in groups.items():
        moved |= uow.tasks.move_many(ids, sources(action), t.target.value, dict(values_key))
        if progress is not None:
            progress(len(moved), len(usable))
    lost = [(label, task) for label, task in usable if task.id not in moved]
    if lost:
        # Lost a race (PostgreSQL READ COMMITTED): classify, never ignore.
        now_in = uow.tasks.statuses_of([task.id for _, task in lost])
        missed: list[ItemProblem] = []
        for label, task in lost:
            current = now_in.get(task.id)
            why = (NotFound(f"no task with id {label}") if current is None
                   else _blocker(actor, action, task, current)
                   or InvalidTransition(f"task {_short(task)} was changed concurrently"))
            missed.append(_problem(label, why))
        if not skip_invalid:
            raise BatchRejected(action.value, missed)
        problems.extend(missed)
    reason, payload = params.event_reason(action), _payload(action, params)
    uow.tasks.log([
        {"task_id": task.id, "batch_id": batch_id, "actor": actor.name,
         "action": action.value, "from_status": task.status, "to_status": t.target.value,
         "reason": reason, "at": now, "payload": payload}
        for _, task in usable if task.id in moved
    ])
    return [ItemResult(task, Status(task.status), t.target, "changed")
            for _, task in usable if task.id in moved]


def _payload(action: Action, params: TransitionParams) -> dict[str, Any]:
    if action in (Action.REJECT, Action.CANCEL):
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


"""Creating tasks: one transaction for a whole batch, one audit event per task.

A retried idempotency key returns the task it made, unless the content differs (or the
actor may not see that task): then it is a conflict.
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mpo.core.domain import permissions, task_fields, validation
from mpo.core.domain.clock import Clock, utcnow
from mpo.core.domain.errors import (
    Conflict,
    IdempotencyConflict,
    ItemProblem,
    MpoError,
    UsageError,
    ValidationError,
)
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.results import Created, CreateResult, fail, problem
from mpo.core.domain.validation import Rules, TaskDraft
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.ports import Database, DuplicateKey, UnitOfWork
from mpo.core.tables.models import Task
from mpo.core.tables.records import detached, new_ids
from mpo.core.usecases import ratelimit
from mpo.core.usecases.create_submit import submit_created
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.lookup import may_see
from mpo.core.usecases.ratelimit import RateLimits

#: An input item: a label for messages (`line 3`, `task`) and the raw request or why it
#: could not even be read.
Item = tuple[str, Mapping[str, Any] | MpoError]


def create_tasks(
    db: Database,
    actor: Actor,
    items: Sequence[Item],
    rules: Rules,
    *,
    skip_invalid: bool = False,
    clock: Clock = utcnow,
    limits: RateLimits | None = None,
    campaign: str | None = None,
    authored_by: str | None = None,
    submit: bool = False,
    dry_run: bool = False,
) -> CreateResult:
    """Create tasks in one transaction; a retried idempotency key returns the existing task.

    The one create path of every door, campaigns, templates and ticks. With `limits`, a
    principal over its configured rate is refused (`RateLimited`); `rules.validator` (the
    plugins') refuses a task with its message. `campaign` tags every task with a new
    campaign's name; `authored_by` names the template author (a proposer too). `submit`
    submits the new tasks in the same transaction and batch (a retry finds them submitted;
    a key first used without `submit` is then a conflict). `dry_run` validates and returns
    the tasks it would store, writing nothing.
    """
    check = rules.validator
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
                problems.append(problem(label, exc))
                errors.append(exc)
        if not items:
            raise UsageError("create: no tasks given")
        drafts = _known_creators(db, drafts, problems, errors)
        if problems and not skip_invalid:
            with db.read() as uow:  # name the reused keys too, not only the invalid items
                for label, draft, _ in drafts:
                    existing = _reused(uow.tasks.by_idempotency_keys, actor, draft)
                    if existing is not None:
                        problems.append(problem(label, existing))
                        errors.append(existing)
            order = {label: n for n, (label, _) in enumerate(items)}
            problems.sort(key=lambda p: order.get(p.item, 0))
            fail("create", problems, errors, len(items))
        common = {"campaign": campaign, "authored_by": authored_by}
        if dry_run:
            with db.read() as uow:
                result = _insert(uow, actor, drafts, skip_invalid, clock, common,
                                 submit=submit, dry_run=True)
            return CreateResult(result.batch_id, result.tasks, problems + result.skipped)
        # A concurrent create with the same idempotency key can win between our lookup and our
        # insert (PostgreSQL, READ COMMITTED); the second attempt then finds its task.
        for attempt in (1, 2):
            try:
                with db.write() as uow:
                    if limits is not None:
                        ratelimit.check(uow, actor, limits, len(drafts), clock())
                    if campaign is not None and uow.history.campaigns(campaign):
                        raise Conflict(f"campaign {campaign} exists; choose another name")
                    result = _insert(uow, actor, drafts, skip_invalid, clock, common,
                                     submit=submit)
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
        problems.append(problem(label, exc))
        errors.append(exc)
    return kept


def _content(task: Task) -> dict[str, Any]:
    """A stored task's content, in the shape `TaskDraft.content()` compares against."""
    row = task_fields.task_row(task)
    return {key: row[key] for key in validation.CONTENT_KEYS}


def _conflict(actor: Actor, existing: Task, submit: bool = False) -> IdempotencyConflict:
    if not may_see(actor, existing):
        # Never name a task the actor cannot see (issue 10).
        return IdempotencyConflict(
            f"idempotency_key {existing.idempotency_key!r} is already used by another task; "
            "use a new key"
        )
    return IdempotencyConflict(
        f"idempotency_key {existing.idempotency_key!r} was used for task {existing.id} "
        + ("without --submit" if submit else "with different content"))


def _reused(
    lookup: Callable[[Sequence[str]], dict[str, Task]], actor: Actor, draft: TaskDraft
) -> IdempotencyConflict | None:
    """The conflict if `draft`'s idempotency key names a stored task of other content (or
    one the actor cannot see)."""
    if draft.idempotency_key is None:
        return None
    existing = lookup([draft.idempotency_key]).get(draft.idempotency_key)
    if existing is None or (may_see(actor, existing)
                            and _content(existing) == draft.content()):
        return None
    return _conflict(actor, existing)


def _insert(
    uow: UnitOfWork,
    actor: Actor,
    drafts: list[tuple[str, TaskDraft, str | None]],
    skip_invalid: bool,
    clock: Clock,
    common: Mapping[str, Any],
    *,
    submit: bool = False,
    dry_run: bool = False,
) -> CreateResult:
    """Validated drafts to rows: per-item checks, then one INSERT per table (issue 11);
    `common` holds columns every task of the batch shares (a campaign, a template author).
    `submit` submits the new tasks too; `dry_run` writes nothing."""
    shared = {k: v for k, v in common.items() if v is not None}
    mark = {"campaign": shared["campaign"]} if "campaign" in shared else {}
    batch_id = uuid.uuid4()
    now = clock()
    keys = [d.idempotency_key for _, d, _ in drafts if d.idempotency_key is not None]
    by_key = uow.tasks.by_idempotency_keys(sorted(set(keys))) if keys else {}
    created: list[Created] = []
    tasks: list[Task] = []
    events: list[dict[str, Any]] = []
    made: list[tuple[str, Task]] = []
    problems: list[ItemProblem] = []
    errors: list[MpoError] = []
    pending, create = Status.PENDING.value, Action.CREATE.value
    ids = iter(new_ids(len(drafts)))
    for label, draft, on_behalf_of in drafts:
        key = draft.idempotency_key
        existing = by_key.get(key) if key is not None else None
        if existing is not None:
            unsubmitted = submit and existing.submitted_at is None
            if (not may_see(actor, existing) or _content(existing) != draft.content()
                    or unsubmitted):
                exc = _conflict(actor, existing, unsubmitted)
                problems.append(problem(label, exc))
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
            **shared,
        })
        tasks.append(task)
        made.append((label, task))
        if key is not None:
            by_key[key] = task
        events.append({
            "task_id": task.id, "batch_id": batch_id, "actor": actor.name, "action": create,
            "from_status": None, "to_status": pending, "reason": None, "at": now,
            "payload": mark | ({"on_behalf_of": on_behalf_of} if on_behalf_of else {}),
        })
        created.append(Created(task, created=True))
    if problems and not skip_invalid:
        fail("create", problems, errors, len(drafts))
    if dry_run:  # what would be stored, without the id nothing was given
        if submit:
            submit_created(uow, actor, made, batch_id, now, dry_run=True)
        for task in tasks:
            task.id = None  # type: ignore[assignment]
        return CreateResult(batch_id, created, problems)
    stored = uow.tasks.create_many(tasks, events) if tasks else True
    if submit and made:
        submit_created(uow, actor, made, batch_id, now)
    # Answer what was stored, not what was sent.
    if tasks and (submit or not stored):
        fresh = {t.id: t for t in uow.tasks.by_ids([t.id for t in tasks])}
        created = [Created(fresh.get(c.task.id, c.task), c.created) for c in created]
    return CreateResult(batch_id, created, problems)

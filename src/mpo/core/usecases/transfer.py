"""Moving tasks between databases: export them with their history, import mpo's own JSONL
back with ids, timestamps and events preserved.

One exported record is a task's every field plus `history`, its events oldest first.
Import is idempotent: a task already there with the same content is left alone; a task
there with other content, or an event id already taken, is a conflict and nothing changes.
Imported history is not news: it fires no shell hook, plugin or webhook.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mpo.core.domain import filter_values, permissions, task_fields, validation
from mpo.core.domain.clock import utcnow
from mpo.core.domain.errors import BatchRejected, Conflict, ItemProblem, MpoError, ValidationError
from mpo.core.domain.lifecycle import BUILTIN
from mpo.core.domain.permissions import Verb
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.vocabulary import Action, values
from mpo.core.tables.models import Subtask, Task, TaskEvent
from mpo.core.tables.stream_models import WebhookDelivery
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.transfer_steps import STEP_ACTIONS, parse_subtasks, subtask_row
from mpo.core.usecases.workflow_apply import known_statuses, lifecycle_of

if TYPE_CHECKING:
    from mpo.core.domain.permissions import Actor
    from mpo.core.domain.validation import Rules
    from mpo.core.ports import Database, UnitOfWork

#: The task's fields as exported (everything `show` prints), then its history.
RECORD_FIELDS: tuple[str, ...] = (*task_fields.TASK, "history", "subtasks")


@dataclass(frozen=True)
class ImportResult:
    """How many tasks an import added and how many were there already, unchanged."""

    added: int
    unchanged: int
    events: int


def sorted_json(value: Any) -> Any:
    """Objects with their keys sorted, at every depth: PostgreSQL's jsonb reorders keys,
    and an export must read the same from either database."""
    if isinstance(value, dict):
        return {k: sorted_json(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sorted_json(v) for v in value]
    return value


def export_tasks(db: Database, actor: Actor, query: TaskQuery,
                 rules: Rules, *, archived: bool = False) -> Iterator[dict[str, Any]]:
    """The tasks a query matches, oldest first, each with its history; one read transaction.
    With `archived`, the archived tasks it matches too, in the same order."""
    with refusals_recorded(db, actor, "export"):
        permissions.require(actor, Verb.LIST)
        permissions.require(actor, Verb.LOG)
        filter_values.check(query, rules, query.statuses,
                           known_statuses(db, query.statuses))
        scoped = permissions.scope(actor, query)
    with db.read() as uow:
        tasks = uow.tasks.find(scoped)
        log = uow.tasks.events()
        if archived:
            tasks = sorted([*tasks, *uow.archive.find(scoped)],
                           key=lambda t: (t.created_at, t.id))
            log = [*uow.archive.events(), *log]
        # One pass over the log (a bulk export reads most of it anyway), grouped by task.
        history: dict[uuid.UUID, list[dict[str, Any]]] = {t.id: [] for t in tasks}
        for event in log:
            if event.task_id in history:
                history[event.task_id].append(sorted_json(task_fields.event_row(event)))
        steps: dict[uuid.UUID, list[dict[str, Any]]] = {t.id: [] for t in tasks}
        for step in uow.subtasks.every():
            if step.task_id in steps:
                steps[step.task_id].append(sorted_json(subtask_row(step)))
    for task in tasks:
        yield sorted_json(task_fields.task_row(task)) | {"history": history[task.id],
                                                         "subtasks": steps[task.id]}


def import_tasks(db: Database, actor: Actor, records: Sequence[tuple[str, Any]],
                 rules: Rules) -> ImportResult:
    """Add the records' tasks and events in one transaction, all or nothing."""
    with refusals_recorded(db, actor, Verb.IMPORT):
        permissions.require(actor, Verb.IMPORT)
        parsed: list[tuple[str, Task, list[TaskEvent], list[Subtask]]] = []
        problems: list[ItemProblem] = []
        with db.read() as uow:  # the statuses of the workflow in force here
            known = lifecycle_of(uow).statuses
        for label, raw in records:
            try:
                if isinstance(raw, MpoError):
                    raise raw
                task, events = parse_record(raw, rules, known)
                parsed.append((label, task, events, parse_subtasks(raw.get("subtasks"),
                                                                   task.id)))
            except MpoError as exc:
                problems.append(ItemProblem(label, exc.message, exc.exit_code))
        if problems:
            raise BatchRejected("import", problems, skippable=False)  # all or nothing
        with db.write() as uow:
            uow.transfer.require_owner()
            uow.as_history()  # restored history fires no hook or plugin
            added = unchanged = written = 0
            imported: list[TaskEvent] = []
            seen: set[uuid.UUID] = set()
            for label, task, events, subtasks in parsed:
                existing = uow.tasks.get(task.id)
                if existing is not None or task.id in seen:
                    if existing is None or _comparable(existing) != _comparable(task):
                        raise Conflict(f"import: {label}: task {task.id} exists with other "
                                       "content; nothing was imported")
                    unchanged += 1
                    continue
                taken = uow.transfer.taken_event_ids([e.id for e in events if e.id is not None])
                if taken:
                    raise Conflict(f"import: {label}: event id {min(taken)} is taken by "
                                   "another event; nothing was imported")
                seen.add(task.id)
                uow.tasks.add(task)
                uow.transfer.flush()
                uow.tasks.add_events(events)
                for subtask in subtasks:
                    uow.subtasks.add(subtask)
                imported.extend(events)
                added += 1
                written += len(events)
            uow.transfer.flush()
            _history_for_webhooks(uow, imported)
            uow.transfer.after_import()
            uow.commit()
        return ImportResult(added, unchanged, written)


def _history_for_webhooks(uow: UnitOfWork, events: Sequence[TaskEvent]) -> None:
    """Mark the imported events each webhook would otherwise read as news: a queue row
    with status `history`, which `mpo deliver` never sends."""
    for hook in uow.webhooks.all():
        uow.webhooks.enqueue([
            WebhookDelivery(webhook_id=hook.id or 0, event_id=e.id, task_id=e.task_id,
                            status="history", next_attempt_at=utcnow())
            for e in events if e.id is not None and e.id > hook.last_event_id])


def _comparable(task: Task) -> dict[str, Any]:
    row: dict[str, Any] = sorted_json(task_fields.task_row(task))
    return row


def parse_record(raw: Mapping[str, Any], rules: Rules,
                 known: Sequence[str] = BUILTIN.statuses) -> tuple[Task, list[TaskEvent]]:
    """A task and its events from one exported record, every field checked."""
    unknown = sorted(set(raw) - set(RECORD_FIELDS))
    if unknown:
        raise ValidationError(unknown[0], f"unknown field; allowed: {', '.join(RECORD_FIELDS)}")
    content = {k: raw.get(k) for k in validation.DRAFT_KEYS}
    content["tags"] = content.get("tags") or []
    content["metadata"] = content.get("metadata") or {}
    draft = validation.draft({k: v for k, v in content.items() if v is not None}, rules)
    created_at = _instant("created_at", raw.get("created_at"))
    if created_at is None:
        raise ValidationError("created_at", "is required: an ISO 8601 time with its offset")
    task = Task(
        id=_uuid("id", raw.get("id")),
        marketplace=draft.marketplace, created_by=draft.created_by, title=draft.title,
        description=draft.description, category=draft.category,
        status=validation.one_of("status", raw.get("status"), list(known)),
        priority=draft.priority, estimated_hours=draft.estimated_hours,
        actual_hours=None if raw.get("actual_hours") is None else validation.hours(
            "actual_hours", raw["actual_hours"]),
        tags=list(draft.tags), meta=dict(draft.metadata),
        idempotency_key=draft.idempotency_key,
        rejection_code=_text("rejection_code", raw.get("rejection_code")),
        rejection_reason=_text("rejection_reason", raw.get("rejection_reason")),
        approved_by=_text("approved_by", raw.get("approved_by")),
        rejected_by=_text("rejected_by", raw.get("rejected_by")),
        assigned_to=_text("assigned_to", raw.get("assigned_to")),
        created_at=created_at,
        submitted_at=_instant("submitted_at", raw.get("submitted_at")),
        approved_at=_instant("approved_at", raw.get("approved_at")),
        rejected_at=_instant("rejected_at", raw.get("rejected_at")),
        started_at=_instant("started_at", raw.get("started_at")),
        completed_at=_instant("completed_at", raw.get("completed_at")),
        # The fields the merged branches added (issues 10, 13): kept as exported.
        recorded_by=_text("recorded_by", raw.get("recorded_by")),
        due_date=draft.due_date, listing_id=draft.listing_id,
        source_type=draft.source_type, plan_id=draft.plan_id,
        completion_notes=_text("completion_notes", raw.get("completion_notes")),
        assigned_by=_text("assigned_by", raw.get("assigned_by")),
        completed_by=_text("completed_by", raw.get("completed_by")),
        cancelled_at=_instant("cancelled_at", raw.get("cancelled_at")),
        cancelled_by=_text("cancelled_by", raw.get("cancelled_by")),
        cancellation_code=_text("cancellation_code", raw.get("cancellation_code")),
        cancellation_reason=_text("cancellation_reason", raw.get("cancellation_reason")),
        authored_by=_text("authored_by", raw.get("authored_by")),
    )
    history = raw.get("history") or []
    if not isinstance(history, list):
        raise ValidationError("history", "must be a list of events")
    return task, [parse_event(e, task.id, known) for e in history]


def parse_event(raw: Any, task_id: uuid.UUID,
                known: Sequence[str] = BUILTIN.statuses) -> TaskEvent:
    """One event of a record's history; its task is the record's."""
    if not isinstance(raw, dict):
        raise ValidationError("history", "each event must be an object")
    event_id = raw.get("id")
    if event_id is not None and (not isinstance(event_id, int) or event_id < 1):
        raise ValidationError("history.id", f"{event_id!r} is not a positive integer")
    if raw.get("task_id") not in (None, str(task_id)):
        raise ValidationError("history.task_id", f"{raw['task_id']} is not the record's id")
    at = _instant("history.at", raw.get("at"))
    if at is None:
        raise ValidationError("history.at", "is required: an ISO 8601 time with its offset")
    payload = raw.get("payload") or {}
    if not isinstance(payload, dict):
        raise ValidationError("history.payload", "must be an object")
    return TaskEvent(
        id=event_id, task_id=task_id,
        batch_id=None if raw.get("batch_id") is None else _uuid("history.batch_id",
                                                                  raw["batch_id"]),
        actor=_text("history.actor", raw.get("actor")) or "import",
        action=validation.one_of("history.action", raw.get("action"),
                                 [*values(Action), *STEP_ACTIONS]),
        from_status=None if raw.get("from_status") is None else validation.one_of(
            "history.from_status", raw["from_status"], list(known)),
        to_status=validation.one_of("history.to_status", raw.get("to_status"), list(known)),
        reason=_text("history.reason", raw.get("reason")),
        at=at, payload=payload,
    )


def _uuid(name: str, value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError(name, f"{value!r} is not a UUID") from None


def _text(name: str, value: Any) -> str | None:
    return validation.text(name, value, max_len=validation.REASON_MAX) or None


def _instant(name: str, value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError(name, f"{value!r} is not an ISO 8601 time with an offset")
    return moment


def require_backup(db: Database, actor: Actor) -> None:
    """Refuse a backup to anyone but an admin: the copy holds every principal's token hash."""
    with refusals_recorded(db, actor, Verb.BACKUP):
        permissions.require(actor, Verb.BACKUP)

"""The documented output fields of each kind of row, and how a record becomes a row.

`--fields` is checked against these lists; `docs/` and shell completion read them too.
Light on purpose: no database import at module level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mpo.core.errors import ValidationError
from mpo.core.lifecycle import accuracy

if TYPE_CHECKING:
    from mpo.core.models import Task, TaskEvent
    from mpo.core.orchestrator import BatchResult


@dataclass(frozen=True)
class FieldSet:
    """The fields a kind of row has, and those shown when `--fields` is not given."""

    kind: str
    all: tuple[str, ...]
    default: tuple[str, ...]

    def pick(self, requested: str | None, *, everything: bool = False) -> tuple[str, ...]:
        """The fields `--fields a,b` names; else all of them (`everything`, for programs)
        or the defaults (for people and `cut`). Unknown names are an error."""
        if not requested:
            return self.all if everything else self.default
        names = tuple(n.strip() for n in requested.split(",") if n.strip())
        unknown = [n for n in names if n not in self.all]
        if unknown or not names:
            raise ValidationError(
                "fields",
                f"unknown {self.kind} field {', '.join(repr(n) for n in unknown) or '(none)'}; "
                f"valid fields: {', '.join(self.all)}",
            )
        return names


TASK = FieldSet(
    "task",
    all=(
        "id", "marketplace", "created_by", "title", "description", "category", "status",
        "priority", "estimated_hours", "actual_hours", "accuracy", "created_at",
        "submitted_at", "approved_at", "approved_by", "rejected_at", "rejected_by",
        "rejection_code", "rejection_reason", "started_at", "completed_at", "assigned_to",
        "tags", "metadata", "idempotency_key", "recorded_by", "due_date", "listing_id",
        "completion_notes", "assigned_by", "completed_by", "source_type", "plan_id",
        "cancelled_at", "cancelled_by", "cancellation_code", "cancellation_reason",
    ),
    default=(
        "id", "marketplace", "status", "priority", "category", "estimated_hours",
        "created_by", "created_at", "title",
    ),
)

#: `show` prints every field unless told otherwise.
TASK_DETAIL = FieldSet("task", all=TASK.all, default=TASK.all)

CREATED = FieldSet(
    "created task",
    all=(*TASK.all, "created"),
    default=("id", "created", "marketplace", "status", "priority", "title"),
)

EVENT = FieldSet(
    "event",
    all=("id", "task_id", "batch_id", "at", "actor", "action", "from_status", "to_status",
         "reason", "payload"),
    default=("at", "task_id", "actor", "action", "from_status", "to_status", "reason"),
)

RESULT = FieldSet(
    "result",
    all=("batch_id", "id", "marketplace", "title", "action", "from_status", "to_status",
         "outcome", "detail"),
    default=("id", "outcome", "from_status", "to_status", "title", "detail"),
)


def task_row(task: Task) -> dict[str, Any]:
    """A task as an output row: every documented field, `metadata` under its own name."""
    return {
        "id": str(task.id),
        "marketplace": task.marketplace,
        "created_by": task.created_by,
        "title": task.title,
        "description": task.description,
        "category": task.category,
        "status": task.status,
        "priority": task.priority,
        "estimated_hours": task.estimated_hours,
        "actual_hours": task.actual_hours,
        "accuracy": accuracy(task.estimated_hours, task.actual_hours),
        "created_at": task.created_at,
        "submitted_at": task.submitted_at,
        "approved_at": task.approved_at,
        "approved_by": task.approved_by,
        "rejected_at": task.rejected_at,
        "rejected_by": task.rejected_by,
        "rejection_code": task.rejection_code,
        "rejection_reason": task.rejection_reason,
        "started_at": task.started_at,
        "completed_at": task.completed_at,
        "assigned_to": task.assigned_to,
        "tags": list(task.tags or []),
        "metadata": dict(task.meta or {}),
        "idempotency_key": task.idempotency_key,
        "recorded_by": task.recorded_by,
        "due_date": task.due_date,
        "listing_id": task.listing_id,
        "completion_notes": task.completion_notes,
        "assigned_by": task.assigned_by,
        "completed_by": task.completed_by,
        "source_type": task.source_type,
        "plan_id": task.plan_id,
        "cancelled_at": task.cancelled_at,
        "cancelled_by": task.cancelled_by,
        "cancellation_code": task.cancellation_code,
        "cancellation_reason": task.cancellation_reason,
    }


def event_row(event: TaskEvent) -> dict[str, Any]:
    """An audit event as an output row."""
    return {
        "id": event.id,
        "task_id": str(event.task_id),
        "batch_id": None if event.batch_id is None else str(event.batch_id),
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reason": event.reason,
        "payload": dict(event.payload or {}),
    }


def names(field_sets: Sequence[FieldSet]) -> list[str]:
    """Every field name of the given kinds, once each (for completion)."""
    seen: dict[str, None] = {}
    for fs in field_sets:
        seen.update(dict.fromkeys(fs.all))
    return list(seen)


def result_rows(result: BatchResult) -> list[dict[str, Any]]:
    """A batch verb's outcome as rows: one per task changed (or that would be), then skips."""
    batch_id = None if result.dry_run else str(result.batch_id)
    rows: list[dict[str, Any]] = [
        {
            "batch_id": batch_id,
            "id": str(item.task.id),
            "marketplace": item.task.marketplace,
            "title": item.task.title,
            "action": result.action.value,
            "from_status": str(item.from_status),
            "to_status": str(item.to_status),
            "outcome": item.outcome,
            "detail": item.detail,
        }
        for item in result.items
    ]
    rows.extend(
        {"batch_id": batch_id, "id": p.item, "action": result.action.value,
         "outcome": "skipped", "detail": p.reason}
        for p in result.skipped
    )
    return rows

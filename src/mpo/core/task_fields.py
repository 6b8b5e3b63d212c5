"""The documented fields of a task and of an audit event, and a record as a dict of them.

One shape everywhere: an export record is this task row plus its history (and an import
reads it back), create compares a retried task's content in it, and every output (the
command line, the HTTP API, hook payloads) starts from it. Light on purpose: no database
import at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mpo.core.lifecycle import accuracy

if TYPE_CHECKING:
    from mpo.core.models import Task, TaskEvent

#: A task's fields, in the order `show` and an export give them.
TASK: tuple[str, ...] = (
    "id", "marketplace", "created_by", "title", "description", "category", "status",
    "priority", "estimated_hours", "actual_hours", "accuracy", "created_at",
    "submitted_at", "approved_at", "approved_by", "rejected_at", "rejected_by",
    "rejection_code", "rejection_reason", "started_at", "completed_at", "assigned_to",
    "tags", "metadata", "idempotency_key", "recorded_by", "due_date", "listing_id",
    "completion_notes", "assigned_by", "completed_by", "source_type", "plan_id",
    "cancelled_at", "cancelled_by", "cancellation_code", "cancellation_reason",
)

#: An audit event's fields.
EVENT: tuple[str, ...] = ("id", "task_id", "batch_id", "at", "actor", "action", "from_status",
                          "to_status", "reason", "payload")


def task_row(task: Task) -> dict[str, Any]:
    """A task as a row of `TASK` fields, `metadata` under its own name."""
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
    """An audit event as a row of `EVENT` fields."""
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

"""The documented fields of a task and of an audit event, and a record as a dict of them.

One shape everywhere: an export record is this task row plus its history (and an import
reads it back), create compares a retried task's content in it, and every output (the
command line, the HTTP API, hook payloads) starts from it. Light on purpose: no database
import at module level.
"""

from __future__ import annotations

from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any

from mpo.core.domain.lifecycle import accuracy

if TYPE_CHECKING:
    from mpo.core.tables.models import Task, TaskEvent

#: A task's fields, in the order `show` and an export give them.
TASK: tuple[str, ...] = (
    "id", "marketplace", "created_by", "title", "description", "category", "status",
    "priority", "estimated_hours", "actual_hours", "accuracy", "created_at",
    "submitted_at", "approved_at", "approved_by", "rejected_at", "rejected_by",
    "rejection_code", "rejection_reason", "started_at", "completed_at", "assigned_to",
    "tags", "metadata", "idempotency_key", "recorded_by", "due_date", "listing_id",
    "completion_notes", "assigned_by", "completed_by", "source_type", "plan_id",
    "cancelled_at", "cancelled_by", "cancellation_code", "cancellation_reason", "authored_by",
    "lease_expires_at",
)

#: An audit event's fields.
EVENT: tuple[str, ...] = ("id", "task_id", "batch_id", "at", "actor", "action", "from_status",
                          "to_status", "reason", "payload")


#: The attribute each `TASK` field is read from (`accuracy` is derived from the estimate).
_ATTRIBUTES = tuple({"metadata": "meta", "accuracy": "estimated_hours"}.get(name, name)
                    for name in TASK)
_FROM_STATE = itemgetter(*_ATTRIBUTES)
_FROM_ORM = attrgetter(*_ATTRIBUTES)


def task_row(task: Task) -> dict[str, Any]:
    """A task as a row of `TASK` fields, `metadata` under its own name.

    Read from the instance's dict where every attribute is loaded (a bulk create renders
    100,000 rows; the ORM's descriptors cost more than the row), else through the ORM."""
    try:
        values = _FROM_STATE(task.__dict__)
    except KeyError:
        values = _FROM_ORM(task)
    row = dict(zip(TASK, values, strict=True))
    row["id"] = None if row["id"] is None else str(row["id"])  # None: a dry run's
    row["accuracy"] = accuracy(row["estimated_hours"], row["actual_hours"])
    row["tags"] = list(row["tags"] or [])
    row["metadata"] = dict(row["metadata"] or {})
    return row


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

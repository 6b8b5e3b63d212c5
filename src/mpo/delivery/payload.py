"""One JSON document per event, the same for hooks, plugins and webhooks.

Shaped like a Standard Webhooks payload: `type`, `timestamp`, `data`; the event id is
`id` (receivers de-duplicate by it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mpo.core.domain import task_fields

if TYPE_CHECKING:
    from mpo.core.tables.models import Task, TaskEvent


def document(event: TaskEvent, task: Task | None) -> dict[str, Any]:
    """The event, with the task's identifying fields, as JSON-ready values."""
    row = task_fields.event_row(event)
    row["at"] = event.at.isoformat()
    if task is not None:
        row["task"] = {"id": str(task.id), "marketplace": task.marketplace,
                       "title": task.title, "status": task.status,
                       "created_by": task.created_by, "priority": task.priority}
    return {"id": event.id, "type": f"task.{event.action}", "timestamp": row["at"],
            "data": row}


def marketplace(doc: dict[str, Any]) -> str | None:
    """The marketplace of the task an event document is about."""
    task = doc["data"].get("task") or {}
    found = task.get("marketplace")
    return found if isinstance(found, str) else None

"""A task's subtask steps in an export record (`subtasks`), and back (issue 22, finding
15): the rows as they are (id, position, type, title, status, the checkpoint's result, who
and when), so that SQLite -> JSONL -> PostgreSQL -> JSONL loses nothing. Their history is
the task's (`subtask_add`, `checkpoint_submit`, ... events in `history`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from mpo.core.domain import validation
from mpo.core.domain.errors import ValidationError
from mpo.core.tables.models import Subtask
from mpo.core.usecases.subtasks import Step, SubtaskStatus, SubtaskType

#: The actions of step events, which an import accepts alongside the task's own.
STEP_ACTIONS: tuple[str, ...] = tuple(s.value for s in Step)
FIELDS = ("id", "position", "type", "title", "status", "result", "created_at",
          "created_by", "updated_at")


def subtask_row(subtask: Subtask) -> dict[str, Any]:
    """One step as exported (JSON types: ids as text, times in ISO 8601)."""
    row = {name: getattr(subtask, name) for name in FIELDS}
    row["id"] = str(subtask.id)
    row["created_at"] = subtask.created_at.isoformat()
    row["updated_at"] = subtask.updated_at.isoformat()
    return row


def parse_subtasks(raw: Any, task_id: uuid.UUID) -> list[Subtask]:
    """The `subtasks` of a record, every field checked; positions distinct."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ValidationError("subtasks", "must be a list of objects")
    steps = [_step(item, task_id) for item in raw]
    positions = [s.position for s in steps]
    if len(set(positions)) != len(positions):
        raise ValidationError("subtasks.position", "positions must be distinct")
    return steps


def _step(raw: dict[str, Any], task_id: uuid.UUID) -> Subtask:
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise ValidationError(f"subtasks.{unknown[0]}",
                              f"unknown field; allowed: {', '.join(FIELDS)}")
    position = raw.get("position")
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        raise ValidationError("subtasks.position", f"{position!r} is not a positive integer")
    result = raw.get("result")
    if result is not None and not isinstance(result, dict):
        raise ValidationError("subtasks.result", "must be an object or null")
    try:
        step_id = uuid.UUID(str(raw.get("id")))
    except ValueError:
        raise ValidationError("subtasks.id", f"{raw.get('id')!r} is not a UUID") from None
    return Subtask(
        id=step_id, task_id=task_id, position=position,
        type=validation.one_of("subtasks.type", raw.get("type"), [t.value for t in SubtaskType]),
        title=validation.text("subtasks.title", raw.get("title"), max_len=200, required=True),
        status=validation.one_of("subtasks.status", raw.get("status"),
                                 [s.value for s in SubtaskStatus]),
        result=result, created_at=_instant("subtasks.created_at", raw.get("created_at")),
        created_by=validation.name("subtasks.created_by", raw.get("created_by")),
        updated_at=_instant("subtasks.updated_at", raw.get("updated_at")))


def _instant(name: str, value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError(name, f"{value!r} is not an ISO 8601 time with an offset")
    return moment

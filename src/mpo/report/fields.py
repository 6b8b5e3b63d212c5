"""The output field sets: the fields each kind of row has, those shown by default, and how
a result becomes rows.

`--fields` is checked against these lists; `docs/` and shell completion read them too.
Presentation, shared by the command line and the HTTP server; a task's and an event's own
fields come from `mpo.core.domain.task_fields`. Light on purpose: no database import at
module level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mpo.core.domain import task_fields
from mpo.core.domain.errors import ValidationError
from mpo.core.domain.vocabulary import Status, values

if TYPE_CHECKING:
    from mpo.core.domain.results import BatchResult
    from mpo.core.tables.models import Subtask
    from mpo.core.tables.stream_models import WebhookDelivery
    from mpo.core.usecases.campaign import Rollup
    from mpo.core.usecases.ranking import Ranked
    from mpo.core.usecases.webhooks import Queue


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
    all=task_fields.TASK,
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
    all=task_fields.EVENT,
    default=("at", "task_id", "actor", "action", "from_status", "to_status", "reason"),
)

RESULT = FieldSet(
    "result",
    all=("batch_id", "id", "marketplace", "title", "action", "from_status", "to_status",
         "outcome", "detail"),
    default=("id", "outcome", "from_status", "to_status", "title", "detail"),
)

SUBTASK = FieldSet(
    "subtask",
    all=("id", "task_id", "position", "type", "title", "status", "result", "created_at",
         "created_by", "updated_at"),
    default=("id", "position", "type", "status", "title", "updated_at"),
)

#: `mpo workflow show`: one row per status, in path order.
WORKFLOW = FieldSet(
    "status",
    all=("status", "custom", "after", "enter", "leave", "distinct", "leaves_by"),
    default=("status", "custom", "after", "enter", "leave", "distinct", "leaves_by"),
)

CAMPAIGN = FieldSet(
    "campaign",
    all=("campaign", "total", *values(Status), "estimated_hours", "actual_hours", "progress"),
    default=("campaign", "total", "pending", "awaiting_approval", "approved", "in_progress",
             "completed", "rejected", "progress"),
)

#: The rows of `mpo list --sort score --explain`: each term's points sum to `score`.
EXPLAINED = FieldSet(
    "explained task",
    all=("id", "score", "priority", "age", "due", "approval", "effort", "approval_rate",
         "predicted_hours", "title"),
    default=("id", "score", "priority", "age", "due", "approval", "effort", "title"),
)

WEBHOOK = FieldSet(
    "webhook",
    all=("id", "url", "events", "secret_name", "created_by", "created_at", "pending",
         "retrying", "next_attempt_at", "dead"),
    default=("id", "url", "events", "secret_name", "pending", "retrying", "dead"),
)

DELIVERY = FieldSet(
    "delivery",
    all=("id", "webhook_id", "event_id", "task_id", "status", "attempts", "next_attempt_at",
         "last_error", "delivered_at"),
    default=("id", "webhook_id", "event_id", "task_id", "attempts", "last_error"),
)

#: `mpo archive`: a run's record (`--dry-run`: one row per task that would move).
ARCHIVE = FieldSet(
    "archive run",
    all=("run_id", "cutoff", "dry_run", "tasks", "events", "chunks"),
    default=("run_id", "cutoff", "dry_run", "tasks", "events", "chunks"),
)
ARCHIVE_DUE = ("id", "status", "ended_at", "marketplace", "title")


def result_rows(result: BatchResult) -> list[dict[str, Any]]:
    """A batch verb's outcome as rows: one per task changed (or that would be), then skips."""
    batch_id = None if result.dry_run else str(result.batch_id)
    rows: list[dict[str, Any]] = [
        {
            "batch_id": batch_id,
            "id": str(item.task.id),
            "marketplace": item.task.marketplace,
            "title": item.task.title,
            "action": str(result.action),
            "from_status": str(item.from_status),
            "to_status": str(item.to_status),
            "outcome": item.outcome,
            "detail": item.detail,
        }
        for item in result.items
    ]
    rows.extend(
        {"batch_id": batch_id, "id": p.item, "action": str(result.action),
         "outcome": "skipped", "detail": p.reason}
        for p in result.skipped
    )
    return rows


def subtask_row(subtask: Subtask) -> dict[str, Any]:
    """A subtask as a row of `SUBTASK` fields."""
    return {
        "id": str(subtask.id), "task_id": str(subtask.task_id), "position": subtask.position,
        "type": subtask.type, "title": subtask.title, "status": subtask.status,
        "result": subtask.result, "created_at": subtask.created_at,
        "created_by": subtask.created_by, "updated_at": subtask.updated_at,
    }


def campaign_row(rollup: Rollup) -> dict[str, Any]:
    """A campaign as a row of `CAMPAIGN` fields: hours rounded to 2 places, progress to 4."""
    progress = rollup.progress
    return {"campaign": rollup.name, "total": rollup.tasks,
            **{s: rollup.statuses.get(s, 0) for s in values(Status)},
            "estimated_hours": round(rollup.estimated_hours, 2),
            "actual_hours": round(rollup.actual_hours, 2),
            "progress": None if progress is None else round(progress, 4)}


def explained_row(ranked: Ranked) -> dict[str, Any]:
    """A ranked task as a row of points per term (rounded to 2 places; `score` is the
    rounded total)."""
    points = {name: round(value, 2) for name, value in ranked.score.contributions.items()}
    return {
        "id": str(ranked.task.id),
        "score": round(ranked.score.total, 2),
        **points,
        "approval_rate": None if ranked.approval_rate is None else round(ranked.approval_rate,
                                                                         4),
        "predicted_hours": round(ranked.predicted_hours, 2),
        "title": ranked.task.title,
    }


def webhook_row(queue: Queue) -> dict[str, Any]:
    """A webhook as a row (its secret's name, never the secret) with its queue: deliveries
    waiting (`retrying` of them after a failure), the next attempt, the dead letters."""
    hook = queue.hook
    return {"id": hook.id, "url": hook.url, "events": list(hook.events) or ["*"],
            "secret_name": hook.secret_name, "created_by": hook.created_by,
            "created_at": hook.created_at, "pending": queue.pending,
            "retrying": queue.retrying, "next_attempt_at": queue.next_attempt_at,
            "dead": queue.dead}


def delivery_row(found: WebhookDelivery) -> dict[str, Any]:
    """A queued, delivered or dead delivery as a row."""
    return {"id": found.id, "webhook_id": found.webhook_id, "event_id": found.event_id,
            "task_id": str(found.task_id), "status": found.status, "attempts": found.attempts,
            "next_attempt_at": found.next_attempt_at, "last_error": found.last_error,
            "delivered_at": found.delivered_at}


def batch_document(result: BatchResult) -> dict[str, Any]:
    """A batch verb's answer over HTTP and MCP: its rows and those of what followed in the
    same transaction (as `mpo approve --json` prints them), and each follow-up's own
    summary."""
    return {"action": str(result.action),
            "batch_id": None if result.dry_run else str(result.batch_id),
            "dry_run": result.dry_run, "changed": len(result.task_ids),
            "results": [row for r in (result, *result.then) for row in result_rows(r)],
            "skipped": [{"item": p.item, "reason": p.reason, "exit_code": int(p.exit_code)}
                        for p in result.skipped],
            "then": [batch_document(r) for r in result.then]}

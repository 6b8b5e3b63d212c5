"""Taskwarrior's `task export` JSON as mpo's import records, for teams moving to mpo.

The mapping (docs/export.md): the project's first part names the marketplace; H/M/L are
high/medium/low; pending and waiting tasks are approved work (in progress once started),
completed ones completed, deleted ones rejected; recurring templates are skipped. The
history is rebuilt from the entry, start and end times, and annotations go into the log
(the create event's payload). The Taskwarrior uuid becomes the task id, so importing the
same export twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mpo.core.domain.errors import MpoError, ValidationError
from mpo.core.domain.validation import TITLE_MAX, Rules
from mpo.core.domain.vocabulary import Category, Priority, Status, agent_name, values

PRIORITIES = {"H": Priority.HIGH.value, "M": Priority.MEDIUM.value, "L": Priority.LOW.value}
#: Taskwarrior has no category or estimate: a tag naming a category wins, else these.
DEFAULT_CATEGORY = Category.ANALYSIS.value
DEFAULT_HOURS = 1.0
SOURCE = "taskwarrior"

Record = tuple[str, Mapping[str, Any] | MpoError]


def records(tasks: Any, rules: Rules, importer: str,
            marketplace: str | None = None) -> tuple[list[Record], list[str]]:
    """Import records for each exported task, and the labels of recurring ones skipped."""
    if not isinstance(tasks, list):
        raise ValidationError("from-taskwarrior", "expected the JSON array `task export` prints")
    out: list[Record] = []
    skipped: list[str] = []
    for number, tw in enumerate(tasks, start=1):
        label = f"task {number}"
        if isinstance(tw, dict) and tw.get("status") == "recurring":
            skipped.append(f"{label}: a recurring template (its instances are imported)")
            continue
        try:
            out.append((label, record(tw, rules, importer, marketplace)))
        except MpoError as exc:
            out.append((label, exc))
    return out, skipped


def record(tw: Any, rules: Rules, importer: str, default: str | None) -> dict[str, Any]:
    """One Taskwarrior task as an mpo record with its history."""
    if not isinstance(tw, dict):
        raise ValidationError("from-taskwarrior", "each task must be a JSON object")
    text = str(tw.get("description") or "").strip()
    entry = _time("entry", tw.get("entry"))
    start = _time("start", tw.get("start")) if tw.get("start") else None
    end = _time("end", tw.get("end")) if tw.get("end") else None
    place = _marketplace(tw.get("project"), rules, default)
    tags = [str(t) for t in tw.get("tags") or []]
    category = next((t for t in tags if t in values(Category)), DEFAULT_CATEGORY)
    estimate = tw.get("estimate")
    hours = float(estimate) if isinstance(estimate, int | float) and estimate > 0 else DEFAULT_HOURS
    notes = [{"at": _time("annotations.entry", a.get("entry")).isoformat(),
              "text": str(a.get("description") or "")}
             for a in tw.get("annotations") or [] if isinstance(a, dict)]
    task: dict[str, Any] = {
        "id": tw.get("uuid"), "marketplace": place, "created_by": agent_name(place),
        "title": text[:TITLE_MAX], "description": text if len(text) > TITLE_MAX else "",
        "category": category, "priority": PRIORITIES.get(str(tw.get("priority")),
                                                        Priority.MEDIUM.value),
        "estimated_hours": hours, "tags": tags, "created_at": entry.isoformat(),
    }
    payload: dict[str, Any] = {"source": SOURCE}
    if notes:
        payload["annotations"] = notes
    history = [_event("create", None, Status.PENDING, entry, importer,
                      "imported from Taskwarrior", payload)]
    status = tw.get("status")
    if status == "deleted":
        when = end or entry
        history += [_event("submit", Status.PENDING, Status.AWAITING_APPROVAL, entry, importer),
                    _event("reject", Status.AWAITING_APPROVAL, Status.REJECTED, when, importer,
                           "deleted in Taskwarrior", {"reason_code": "other"})]
        return task | {"status": Status.REJECTED.value, "submitted_at": entry.isoformat(),
                       "rejected_at": when.isoformat(), "rejected_by": importer,
                       "rejection_code": "other", "rejection_reason": "deleted in Taskwarrior",
                       "history": history}
    if status not in ("pending", "waiting", "completed"):
        raise ValidationError("status", f"{status!r} is not one of pending, waiting, "
                                        "completed, deleted, recurring")
    history += [_event("submit", Status.PENDING, Status.AWAITING_APPROVAL, entry, importer),
                _event("approve", Status.AWAITING_APPROVAL, Status.APPROVED, entry, importer)]
    task |= {"status": Status.APPROVED.value, "submitted_at": entry.isoformat(),
             "approved_at": entry.isoformat(), "approved_by": importer}
    started = start or (end if status == "completed" else None)
    if started is not None:
        history.append(_event("start", Status.APPROVED, Status.IN_PROGRESS, started, importer))
        task |= {"status": Status.IN_PROGRESS.value, "started_at": started.isoformat(),
                 "assigned_to": importer}
    if status == "completed" and started is not None and end is not None:
        spent = round(max((end - started).total_seconds() / 3600, 0.01), 2) if start else hours
        history.append(_event("complete", Status.IN_PROGRESS, Status.COMPLETED, end, importer,
                              None, {"actual_hours": spent}))
        task |= {"status": Status.COMPLETED.value, "completed_at": end.isoformat(),
                 "actual_hours": spent}
    return task | {"history": history}


def _marketplace(project: Any, rules: Rules, default: str | None) -> str:
    first = str(project or "").split(".")[0].strip().lower()
    if first in rules.marketplaces:
        return first
    if default is not None:
        return default
    raise ValidationError("project", f"{project!r} names no marketplace (one of "
                                     f"{', '.join(rules.marketplaces)}); give --marketplace "
                                     "for tasks whose project names none")


def _time(name: str, value: Any) -> datetime:
    try:
        return datetime.strptime(str(value), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationError(name, f"{value!r} is not a Taskwarrior time "
                                    "(YYYYMMDDTHHMMSSZ)") from None


def _event(action: str, source: Status | None, target: Status, at: datetime, actor: str,
           reason: str | None = None, payload: Mapping[str, Any] | None = None
           ) -> dict[str, Any]:
    return {"actor": actor, "action": action,
            "from_status": None if source is None else source.value,
            "to_status": target.value, "at": at.isoformat(), "reason": reason,
            "payload": dict(payload or {})}


"""The review's details pane: everything a reviewer weighs about one task, as rich text."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text

from mpo.core.usecases.review import Rate, waited

if TYPE_CHECKING:
    from mpo.core.tables.models import Task


def describe(task: Task, rate: Rate | None, now: datetime) -> Text:
    """Everything a reviewer weighs: the task, its estimate and its agent's record."""
    hours = waited(task, now).total_seconds() / 3600
    share = rate.share if rate is not None else None
    record = ("no decisions in the last 30 days" if rate is None or share is None
              else f"{share:.0%} of {rate.decided} approved in the last 30 days")
    text = Text()
    text.append(task.title + "\n", style="bold")
    text.append(f"{task.id}\n")
    text.append(f"{task.marketplace} · {task.category} · {task.priority} · "
                f"estimate {task.estimated_hours:g} h · waiting {_age(hours)}\n")
    text.append(f"agent {task.created_by}: {record}\n")
    if task.tags:
        text.append("tags: " + ", ".join(task.tags) + "\n")
    if task.meta:
        text.append("metadata: " + json.dumps(task.meta, ensure_ascii=False, indent=1) + "\n")
    text.append("\n" + (task.description or "(no description)"))
    return text


def _age(hours: float) -> str:
    if hours < 1:
        return f"{max(hours * 60, 0):.0f} min"
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} d"

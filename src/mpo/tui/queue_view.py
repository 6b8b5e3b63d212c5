"""The review's queue as a list: how it is grouped (cycled with `g`) and filtered, one line
per task under a header per group, and which line stays highlighted when it is rebuilt."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from mpo.core.tables.models import Task

#: How the queue can be grouped, cycled with `g`.
GROUPINGS: dict[str, Callable[[Task], str]] = {
    "marketplace": lambda t: t.marketplace,
    "agent": lambda t: t.created_by,
    "listing": lambda t: t.listing_id or "(none)",
}


def shown(tasks: Iterable[Task], filter_text: str, grouping: str) -> list[Task]:
    """The tasks the filter lets through, in group order, oldest first in a group."""
    words = filter_text.lower().split()
    key = GROUPINGS[grouping]

    def matches(t: Task) -> bool:
        hay = " ".join([str(t.id), t.title, t.description or "", *(t.tags or [])]).lower()
        return all(w in hay for w in words)

    found = [t for t in tasks if matches(t)]
    return sorted(found, key=lambda t: (key(t), t.submitted_at or t.created_at))


def options(tasks: list[Task], grouping: str, marked: Collection[uuid.UUID],
            width: int) -> list[Option]:
    """The list's lines: a disabled header per group (with its count), then its tasks."""
    key = GROUPINGS[grouping]
    found: list[Option] = []
    group: str | None = None
    counts: dict[str, int] = {}
    for t in tasks:
        counts[key(t)] = counts.get(key(t), 0) + 1
    for t in tasks:
        if key(t) != group:
            group = key(t)
            found.append(Option(Text(f"{group} ({counts[group]})", style="bold"),
                                disabled=True))
        found.append(Option(line(t, t.id in marked, width), id=str(t.id)))
    return found


def line(t: Task, marked: bool, width: int) -> Text:
    """One task, one line: the title ends in an ellipsis where the list ends."""
    mark = "●" if marked else " "
    text = Text(f"{mark} {str(t.id)[:8]} {t.priority:<6} ")
    text.append(" ".join(t.title.split()))
    text.truncate(max(width - 2, 20), overflow="ellipsis")
    return text


def highlight(found: list[Option], current: uuid.UUID | None, old_index: int) -> int | None:
    """The line to highlight after a rebuild: the task highlighted before if it is still
    shown, else the nearest task line to where the highlight was."""
    ids = [o.id for o in found]
    if current is not None and str(current) in ids:
        return ids.index(str(current))
    if not found:
        return None
    index = min(old_index, len(found) - 1)
    while index < len(found) - 1 and found[index].disabled:
        index += 1
    while index > 0 and found[index].disabled:
        index -= 1
    return None if found[index].disabled else index

"""Listing tasks a page at a time, for clients that cannot hold every match: offset pages
with the total (the seed's dashboard) and opaque cursors (mpo's own API)."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from mpo.core import permissions, validation
from mpo.core.errors import ValidationError
from mpo.core.identity import refusals_recorded
from mpo.core.models import Task
from mpo.core.permissions import Actor, Verb
from mpo.core.ports import Database
from mpo.core.selection import TaskQuery
from mpo.core.validation import Rules


@dataclass(frozen=True)
class Page:
    """One page of tasks, how many match in all, and the cursor of the next page (if any)."""

    tasks: list[Task]
    total: int
    next_cursor: str | None


def encode_cursor(task: Task) -> str:
    """An opaque cursor that resumes a listing after `task`."""
    raw = f"{task.created_at.isoformat()}|{task.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (created_at, id) a cursor resumes after; a cursor not made here is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, task_id = raw.partition("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, uuid.UUID(task_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError("cursor", "is not a cursor this API returned") from None


def list_page(db: Database, actor: Actor, query: TaskQuery, rules: Rules) -> Page:
    """A page of the tasks a query matches (as far as the actor may see) and their total,
    read in one transaction so the two agree."""
    with refusals_recorded(db, actor, Verb.LIST):
        permissions.require(actor, Verb.LIST)
        validation.filters(query, rules, query.statuses)
        scoped = permissions.scope(actor, query)
        with db.read() as uow:
            tasks = uow.tasks.find(scoped)
            total = uow.tasks.count(replace(scoped, after=None, offset=0))
    full = query.limit is not None and len(tasks) == query.limit
    return Page(tasks, total, encode_cursor(tasks[-1]) if full and tasks else None)

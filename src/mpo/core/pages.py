"""Listing tasks a page at a time, for clients that cannot hold every match: offset pages
with the total (the seed's dashboard) and opaque cursors (mpo's own API)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from mpo.core import permissions, validation
from mpo.core.identity import refusals_recorded
from mpo.core.models import Task
from mpo.core.paging import Cursor
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
    last = tasks[-1] if full and tasks else None
    return Page(tasks, total, Cursor(last.created_at, last.id).encode() if last else None)

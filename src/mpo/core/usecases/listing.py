"""Listing tasks a page at a time: the page and the cursor that continues it.

Kept apart from `list_tasks` so its result (a plain list) stays what library callers expect.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mpo.core.domain import filter_values, permissions
from mpo.core.domain.errors import UsageError
from mpo.core.domain.paging import Cursor
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.validation import Rules
from mpo.core.domain.wellformed import COUNT_MAX
from mpo.core.ports import Database
from mpo.core.tables.models import Task
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.workflow_apply import known_statuses


@dataclass(frozen=True)
class Page:
    """Up to `limit` tasks, where the next page starts (None: this was the last), and, when
    asked for, how many tasks match in all (the seed's dashboard shows it)."""

    tasks: list[Task]
    next_cursor: Cursor | None
    total: int | None = None


def list_page(db: Database, actor: Actor, query: TaskQuery, rules: Rules, *,
              count: bool = False) -> Page:
    """The tasks a query matches as far as the actor may see, one page of them; with
    `count`, their total too, read in the same transaction so the two agree.

    One task more than the limit is read, so the last page says so (no empty page after it).
    """
    with refusals_recorded(db, actor, Verb.LIST):
        permissions.require(actor, Verb.LIST)
        filter_values.check(query, rules, query.statuses,
                           known_statuses(db, query.statuses))
        if query.search and query.after is not None:
            raise UsageError("list: --after pages the list in creation order; search "
                             "results are ranked, so give --search with --limit only")
        scoped = permissions.scope(actor, query)
        wanted = scoped.limit
        if wanted is not None:
            scoped = replace(scoped, limit=min(wanted + 1, COUNT_MAX))
        with db.read() as uow:
            tasks = uow.tasks.find(scoped)
            total = (uow.tasks.count(replace(scoped, after=None, offset=0, limit=None))
                     if count else None)
    if wanted is None or len(tasks) <= wanted or query.search:
        return Page(tasks[:wanted] if wanted is not None else tasks, None, total)
    last = tasks[wanted - 1]
    return Page(tasks[:wanted], Cursor(last.created_at, last.id), total)

"""Tools over tasks: create (with `submit`), list and search, show."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mpo.core.domain import task_fields
from mpo.core.domain.paging import PAGE, PAGE_MAX
from mpo.core.domain.permissions import Verb
from mpo.core.domain.validation import DRAFT_KEYS, Rules
from mpo.core.domain.vocabulary import values
from mpo.mcp import schemas
from mpo.mcp.caller import Caller
from mpo.mcp.schemas import Schema
from mpo.mcp.tooling import Args, Document, tool


def create_one(caller: Caller, draft: dict[str, Any], submit: bool) -> Document:
    """Create one task and, with `submit`, submit it in the same transaction (two events,
    one batch); a retried key returns the task it made."""
    from mpo.core.usecases.create import create_tasks
    from mpo.core.usecases.predictions import prediction_extra

    made = create_tasks(caller.db, caller.actor, [("task", draft)], caller.rules,
                        limits=caller.limits, submit=submit).tasks[0]
    return (task_fields.task_row(made.task) | {"created": made.created}
            | prediction_extra(caller.db, caller.actor, made.task))


def _create(caller: Caller, args: Args) -> Document:
    draft = {key: args.values[key] for key in DRAFT_KEYS if args.values.get(key) is not None}
    return create_one(caller, draft, args.flag("submit"))


def _create_properties(rules: Rules) -> Schema:
    return schemas.draft(rules) | {"submit": schemas.flag(
        "Submit it for approval at once (pending -> awaiting_approval).")}


CREATE = tool(
    "create", Verb.CREATE, "Propose a task (pending; with submit, awaiting_approval); "
    "`mpo create`. Give an idempotency_key so a retry after a timeout cannot make two.",
    'The task\'s fields, "created": true for a new task, false when the idempotency_key '
    'returned the task it made before, and "prediction" (predicted actual hours) when '
    "there is history to learn from.",
    _create_properties, _create, required=("title", "category", "estimated_hours"))


def _instant(caller: Caller, args: Args, key: str) -> datetime | None:
    text = args.get(key)
    if text is None:
        return None
    from zoneinfo import ZoneInfo

    from mpo.core.domain.timeparse import parse_instant

    return parse_instant(key, text, ZoneInfo(caller.settings.timezone))


def _list(caller: Caller, args: Args) -> Document:
    from mpo.core.domain.paging import decode, terms
    from mpo.core.domain.selection import TaskQuery
    from mpo.core.usecases.listing import list_page

    limit = args.get("limit", int)
    cursor, search = args.get("cursor"), args.get("search")
    query = TaskQuery(
        statuses=args.strings("status"), marketplaces=args.strings("marketplace"),
        priorities=args.strings("priority"), categories=args.strings("category"),
        created_by=args.strings("created_by"), assigned_to=args.strings("assigned_to"),
        listing_ids=args.strings("listing"), since=_instant(caller, args, "since"),
        until=_instant(caller, args, "until"), limit=PAGE if limit is None else limit,
        newest_first=not args.flag("oldest_first"),
        search=terms(search) if search is not None else (),
        after=decode(cursor) if cursor else None)
    page = list_page(caller.db, caller.actor, query, caller.rules, count=True)
    return {"tasks": [task_fields.task_row(t) for t in page.tasks], "total": page.total,
            "next_cursor": page.next_cursor.encode() if page.next_cursor else None}


def _list_properties(rules: Rules) -> Schema:
    from mpo.core.domain.vocabulary import Status

    word = {"type": "string", "minLength": 1}
    return {
        "status": schemas.many(word, f"Statuses: {', '.join(values(Status))} (and a "
                               "custom workflow's states)."),
        "marketplace": schemas.many(schemas.marketplaces(rules, ""), "Marketplaces."),
        "priority": schemas.many(schemas.priorities(""), "Priorities."),
        "category": schemas.many(schemas.categories(""), "Categories."),
        "created_by": schemas.many(word, "Creators (agent names)."),
        "assigned_to": schemas.many(word, "Assignees."),
        "listing": schemas.many(word, "Listing ids."),
        "since": {"type": "string", "description": "Created at or after: ISO date/time, "
                  "today, yesterday, -7d ..."},
        "until": {"type": "string", "description": "Created before."},
        "limit": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": PAGE,
                  "description": "At most this many tasks per page."},
        "cursor": {"type": "string", "description": "next_cursor of the page before."},
        "oldest_first": schemas.flag("Oldest first instead of newest first."),
        "search": {"type": "string", "description": "Tasks whose title, description or "
                   "tags hold every word, best match first (no cursor)."},
    }


LIST = tool(
    "list", Verb.LIST, "List or search tasks, newest first, a page at a time; filters "
    "combine with AND, a filter's values with OR; `mpo list`. An agent sees its own "
    "marketplace only.",
    '{"tasks": [...], "total": N matching, "next_cursor": pass it back as cursor for the '
    "next page, null on the last}.",
    _list_properties, _list, read_only=True)


def _show(caller: Caller, args: Args) -> Document:
    from mpo.core.usecases.predictions import prediction_extra
    from mpo.core.usecases.reads import show_task

    task, events = show_task(caller.db, caller.actor, args.get("id") or "")
    return (task_fields.task_row(task)
            | {"history": [task_fields.event_row(e) for e in events]}
            | prediction_extra(caller.db, caller.actor, task))


def id_property(rules: Rules) -> Schema:
    """A single task, by id or unique prefix."""
    return {"id": {"type": "string", "minLength": 1,
                   "description": "Task id or unique prefix."}}


SHOW = tool(
    "show", Verb.SHOW, "One task with its history (oldest event first) and its predicted "
    "actual hours; `mpo show`.",
    'The task\'s fields, "history": [events], and "prediction" when there is history to '
    "learn from.", id_property, _show, required=("id",), read_only=True)

TOOLS = (CREATE, LIST, SHOW)

"""`mpo watch`: follow the audit log live, as a rolling table or JSON Lines."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import split
from mpo.cli.output import stdout_is_tty

if TYPE_CHECKING:
    from mpo.core.tables.models import TaskEvent

app = typer.Typer()
_COLUMNS = (("id", 8), ("at", 19), ("task_id", 8), ("actor", 20), ("action", 8),
            ("from_status", 17), ("to_status", 17), ("reason", 0))


def _line(row: dict[str, Any]) -> str:
    cells = []
    for name, width in _COLUMNS:
        value = row.get(name)
        text = "" if value is None else str(value)
        if name == "at":
            text = text[:19].replace("T", " ")
        elif name == "task_id":
            text = text[:8]
        cells.append(text.ljust(width)[:width] if width else text)
    return "  ".join(cells).rstrip()


def _render(events: list[TaskEvent], jsonl: bool) -> None:
    from mpo.core.domain import task_fields

    for event in events:
        row = task_fields.event_row(event)
        if jsonl:
            row["at"] = event.at.isoformat()
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(_line(row) + "\n")
    sys.stdout.flush()


@app.command(rich_help_panel="Events")
def watch(
    status: Annotated[list[str] | None, typer.Option(
        "--status", "-s", help="Only events that lead to this status; repeatable.",
        autocompletion=values.statuses)] = None,
    marketplace: Annotated[list[str] | None, typer.Option(
        "--marketplace", "-m", help="Only this marketplace's tasks; repeatable.",
        autocompletion=values.marketplaces)] = None,
    priority: Annotated[list[str] | None, typer.Option(
        "--priority", "-p", help="Only tasks of this priority; repeatable.",
        autocompletion=values.priorities)] = None,
    category: Annotated[list[str] | None, typer.Option(
        "--category", "-c", help="Only tasks of this category; repeatable.",
        autocompletion=values.categories)] = None,
    created_by: Annotated[list[str] | None, typer.Option(
        "--created-by", help="Only tasks by this creator; repeatable.")] = None,
    assigned_to: Annotated[list[str] | None, typer.Option(
        "--assigned-to", help="Only tasks assigned to this member; repeatable.")] = None,
    action: Annotated[list[str] | None, typer.Option(
        "--action", help="Only these actions: create, submit, approve, reject, ...")] = None,
    since_event: Annotated[int | None, typer.Option(
        "--since-event", metavar="ID",
        help="Start after this event id (resume exactly); default: from now.")] = None,
    consumer: Annotated[str | None, typer.Option(
        "--consumer", metavar="NAME",
        help="Keep a cursor under this name in the database: resume where it stopped.")] = None,
    count: Annotated[int | None, typer.Option(
        "--count", "-n", min=1, help="Stop after N events.")] = None,
    jsonl: Annotated[bool, typer.Option(
        "--jsonl", help="One JSON object per line (the default when piped).")] = False,
) -> None:
    """Follow new audit events live: a rolling table on a terminal, JSON Lines when piped.

    Example: mpo watch --marketplace amazon --since-event 120 --jsonl | jq .action
    """
    from mpo.core.domain import validation
    from mpo.core.domain.errors import Cancelled
    from mpo.core.domain.selection import TaskQuery
    from mpo.core.domain.vocabulary import Action
    from mpo.core.domain.vocabulary import values as names
    from mpo.core.usecases import stream

    app_ctx = current()
    db, actor = app_ctx.database, app_ctx.actor
    query = stream.checked_query(db, actor, TaskQuery(
        statuses=split(status), marketplaces=split(marketplace), priorities=split(priority),
        categories=split(category), created_by=split(created_by),
        assigned_to=split(assigned_to)), app_ctx.rules)
    actions = split(action)
    for a in actions:
        validation.one_of("action", a, names(Action))
    name = None if consumer is None else stream.check_consumer(consumer)
    as_json = jsonl or not stdout_is_tty()
    if not as_json:
        sys.stdout.write(_line({n: n for n, _ in _COLUMNS}) + "\n")
    left = count
    try:
        with db.waker() as waker:
            after = stream.start_of(db, actor, name, since_event)
            for page in stream.follow(db, actor, waker, after_id=after, query=query,
                                      actions=actions):
                if left is not None:
                    page = page[:left]
                    left -= len(page)
                if page:
                    _render(page, as_json)
                    if name is not None:
                        stream.acknowledge(db, actor, name, page)
                if left == 0:
                    return
    except KeyboardInterrupt:
        raise Cancelled("watch: interrupted") from None

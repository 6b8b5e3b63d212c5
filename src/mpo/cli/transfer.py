"""Moving tasks in and out: `mpo export`, `mpo import` (mpo's JSONL, or Taskwarrior's)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import split
from mpo.cli.output import Mode, Output, message
from mpo.cli.tasks import instant
from mpo.core.domain import wellformed
from mpo.core.domain.errors import ValidationError

app = typer.Typer()
PANEL = "Import and export"


@app.command(rich_help_panel=PANEL)
def export(
    status: Annotated[list[str] | None, typer.Option(
        "--status", "-s", help="Repeatable or comma-separated.",
        autocompletion=values.statuses)] = None,
    marketplace: Annotated[list[str] | None, typer.Option(
        "--marketplace", "-m", help="Repeatable or comma-separated.",
        autocompletion=values.marketplaces)] = None,
    created_by: Annotated[list[str] | None, typer.Option(
        "--created-by", help="Creator (agent) name; repeatable or comma-separated.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Created at or after: ISO date/time, today, -7d ...")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Created before.")] = None,
    format_: Annotated[str, typer.Option(
        "--format", metavar="jsonl|csv", help="JSON Lines (what `mpo import` reads) or CSV "
        "with the history as a JSON cell.")] = "jsonl",
    output: Annotated[str, typer.Option(
        "--output", "-o", metavar="FILE|-", help="Write here instead of stdout.")] = "-",
    archived: Annotated[bool, typer.Option(
        "--archived", help="Archived tasks (mpo archive) too, with their history.")] = False,
) -> None:
    """Write tasks with their history, oldest first: one task per line.

    Example: mpo export --marketplace amazon --since -30d -o amazon.jsonl
    """
    from mpo.core.domain.selection import TaskQuery
    from mpo.core.domain.validation import one_of
    from mpo.core.usecases.transfer import RECORD_FIELDS, export_tasks

    mode = Mode(one_of("format", format_, ["jsonl", "csv"]))
    app_ctx = current()
    query = TaskQuery(statuses=split(status), marketplaces=split(marketplace),
                      created_by=split(created_by), since=instant("since", since),
                      until=instant("until", until), newest_first=False)
    records = export_tasks(app_ctx.database, app_ctx.actor, query, app_ctx.rules,
                           archived=archived)
    count = 0

    def counted() -> Any:
        nonlocal count
        for row in records:
            count += 1
            yield row

    if output == "-":
        Output(mode, RECORD_FIELDS, sys.stdout).rows(counted())
    else:
        with _open(output) as stream:
            Output(mode, RECORD_FIELDS, stream).rows(counted())
    message(f"exported {count} task{'s' if count != 1 else ''}")


def _open(path: str) -> IO[str]:
    """The export file, created 0600 (it holds every task; a team reads it by choice)."""
    try:
        fd = os.open(Path(path).expanduser(), os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise ValidationError("output", f"cannot write {path}: {exc.strerror}") from None


def _read(source: str) -> str:
    if source == "-":
        return wellformed.decode("stdin", sys.stdin.buffer.read())
    try:
        return wellformed.decode("file", Path(source).read_bytes())
    except OSError as exc:
        raise ValidationError("file", f"cannot read {source}: {exc.strerror}") from None


@app.command("import", rich_help_panel=PANEL)
def import_(
    source: Annotated[str, typer.Argument(
        metavar="FILE|-", help="mpo's JSONL (from `mpo export`), or with --from-taskwarrior "
        "the JSON of `task export`.")],
    from_taskwarrior: Annotated[bool, typer.Option(
        "--from-taskwarrior", help="Read Taskwarrior's `task export` JSON.")] = False,
    marketplace: Annotated[str | None, typer.Option(
        "--marketplace", "-m", help="With --from-taskwarrior: the marketplace of tasks whose "
        "project names none.", autocompletion=values.marketplaces)] = None,
) -> None:
    """Add exported tasks, their ids, times and history to this database (admins only).

    All or nothing; importing the same file again changes nothing. On PostgreSQL, connect
    as the database owner (see docs/export.md).

    Example: mpo --db postgresql+psycopg://mpo_owner@db/mpo import tasks.jsonl
    """
    from mpo.core.domain.ndjson import ndjson
    from mpo.core.usecases import taskwarrior
    from mpo.core.usecases.transfer import import_tasks

    app_ctx = current()
    rules = app_ctx.rules
    text = _read(source)
    skipped: list[str] = []
    if from_taskwarrior:
        try:
            exported = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError("from-taskwarrior", f"{exc.msg} at line {exc.lineno}") from None
        if marketplace is not None:
            from mpo.core.domain.validation import one_of

            one_of("marketplace", marketplace, rules.marketplaces)
        items, skipped = taskwarrior.records(exported, rules, app_ctx.actor.name, marketplace)
    else:
        if marketplace is not None:
            raise ValidationError("marketplace", "only with --from-taskwarrior")
        items = list(ndjson(text.splitlines()))
    result = import_tasks(app_ctx.database, app_ctx.actor, items, rules)
    for line in skipped:
        message(f"skipped {line}")
    message(f"imported {result.added} tasks ({result.events} events), "
            f"{result.unchanged} already there unchanged")

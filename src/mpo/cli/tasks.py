"""Task commands: create, list, show."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import output_options, split
from mpo.cli.output import Mode, Output, message
from mpo.cli.task_options import (
    CategoryOption,
    Description,
    EstimatedHours,
    Listing,
    Metadata,
    PriorityOption,
    Title,
)
from mpo.core.domain import task_fields, wellformed
from mpo.core.domain import validation as limits
from mpo.core.domain.errors import UsageError, ValidationError
from mpo.core.domain.wellformed import COUNT_MAX
from mpo.report import fields

app = typer.Typer()
PANEL = "Tasks"


def _read_ndjson(source: str) -> list[str]:
    if source == "-":
        return wellformed.decode("from", sys.stdin.buffer.read()).splitlines()
    try:
        return wellformed.decode("from", Path(source).read_bytes()).splitlines()
    except OSError as exc:
        raise ValidationError("from", f"cannot read {source}: {exc.strerror}") from None


@app.command(rich_help_panel=PANEL)
@output_options(fields.CREATED)
def create(
    marketplace: Annotated[str | None, typer.Option(
        "--marketplace", "-m", help="Marketplace the task is for.",
        autocompletion=values.marketplaces)] = None,
    title: Title = None,
    description: Description = None,
    category: CategoryOption = None,
    priority: PriorityOption = None,
    estimated_hours: EstimatedHours = None,
    created_by: Annotated[str | None, typer.Option(
        "--created-by", help="Agent the task is created for (master and admin only).")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", help=f"A tag; repeatable or comma-separated (at most {limits.TAGS_MAX}).")] = None,
    metadata: Metadata = None,
    idempotency_key: Annotated[str | None, typer.Option(
        "--idempotency-key", metavar="KEY",
        help="Retry-safe: the same key and content returns the existing task.")] = None,
    due: Annotated[str | None, typer.Option(
        "--due", metavar="DATE", help="Due date: ISO date or +Nd/+Nw from today (+7d).")] = None,
    listing: Listing = None,
    source_type: Annotated[str | None, typer.Option(
        "--source-type", metavar="TYPE", help="ai_generated, manual or scheduled (default: "
        "ai_generated for agents and the master, else manual).")] = None,
    plan: Annotated[str | None, typer.Option(
        "--plan", metavar="ID", help="Groups the tasks of one agent run (plan_id).")] = None,
    from_: Annotated[str | None, typer.Option(
        "--from", metavar="FILE|-",
        help="Create many tasks from NDJSON (one object per line) in one transaction.")] = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="With --from: create the valid lines, report the rest; exit "
        "12 when every line was skipped.")] = False,
    submit: Annotated[bool, typer.Option(
        "--submit", help="Submit for approval too, in the same transaction and batch "
        "(status awaiting_approval).")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Validate and print what would be stored (id null); write "
        "nothing.")] = False,
    *,
    out: Output,
) -> None:
    """Create a task (pending; --submit: awaiting approval), or many from NDJSON with --from.

    Example: mpo create -m amazon -t "Rewrite GEO titles" -c optimization -e 4 --submit --json
    """
    from mpo.core.domain.ndjson import ndjson
    from mpo.core.usecases.create import create_tasks

    app_ctx = current()
    single: dict[str, Any] = {
        k: v for k, v in {
            "marketplace": marketplace, "title": title, "description": description,
            "category": category, "priority": priority, "estimated_hours": estimated_hours,
            "created_by": created_by, "tags": list(split(tag)) or None, "metadata": metadata,
            "idempotency_key": idempotency_key, "due_date": due, "listing_id": listing,
            "source_type": source_type, "plan_id": plan,
        }.items() if v is not None
    }
    if from_ is not None and single:
        raise UsageError("create: give task fields as options or --from FILE, not both")
    items = ndjson(_read_ndjson(from_)) if from_ is not None else [("task", single)]
    result = create_tasks(app_ctx.database, app_ctx.actor, items, app_ctx.rules,
                          skip_invalid=skip_invalid, limits=app_ctx.settings.limits,
                          submit=submit, dry_run=dry_run)
    rows = [task_fields.task_row(c.task) | {"created": c.created} for c in result.tasks]
    for problem in result.skipped:
        message(f"skipped {problem.item}: {problem.reason}")
    if from_ is None and rows:  # (with --skip-invalid, the one task may have been skipped)
        out.record(rows[0], extra=_prediction(out, result.tasks[0].task))
    else:
        out.rows(rows)
        made = sum(1 for c in result.tasks if c.created)
        message(f"{'would create' if dry_run else 'created'} {made}, existing "
                f"{len(rows) - made}, skipped {len(result.skipped)}")
    if dry_run:
        message("dry run: nothing was stored")
    if not result.tasks:
        from mpo.cli.lifecycle import nothing_applied

        nothing_applied(len(result.skipped), 0)


@app.command("list", rich_help_panel=PANEL)
@output_options(fields.TASK)
def list_(
    status: Annotated[list[str] | None, typer.Option(
        "--status", "-s", help="Repeatable or comma-separated.",
        autocompletion=values.statuses)] = None,
    marketplace: Annotated[list[str] | None, typer.Option(
        "--marketplace", "-m", help="Repeatable or comma-separated.",
        autocompletion=values.marketplaces)] = None,
    priority: Annotated[list[str] | None, typer.Option(
        "--priority", "-p", help="high, medium, low; repeatable or comma-separated.",
        autocompletion=values.priorities)] = None,
    category: Annotated[list[str] | None, typer.Option(
        "--category", "-c", help="Repeatable or comma-separated.",
        autocompletion=values.categories)] = None,
    created_by: Annotated[list[str] | None, typer.Option(
        "--created-by", help="Creator (agent) name; repeatable or comma-separated.")] = None,
    assigned_to: Annotated[list[str] | None, typer.Option(
        "--assigned-to", help="Assignee name; repeatable or comma-separated.")] = None,
    listing: Annotated[list[str] | None, typer.Option(
        "--listing", metavar="ID", help="Listing id; repeatable or comma-separated.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Created at or after: ISO date/time, today, yesterday, -7d ...")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Created before.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, max=COUNT_MAX,
                                              help="At most N tasks.")] = None,
    oldest_first: Annotated[bool, typer.Option("--oldest-first",
                                               help="Oldest first instead.")] = False,
    sort: Annotated[str, typer.Option(
        "--sort", metavar="ORDER", help="created (default) or score: the priority score, "
        "highest first (docs/score.md).")] = "created",
    explain: Annotated[bool, typer.Option(
        "--explain", help="With --sort score: show each task's points per term.")] = False,
    search: Annotated[str | None, typer.Option(
        "--search", "-q", metavar="WORDS",
        help="Tasks whose title, description or tags hold every word, best match first.")
    ] = None,
    page: Annotated[bool, typer.Option(
        "--page", help="Paged output for scripts: --json prints {\"tasks\": [...], "
        "\"next_cursor\": ...}, --jsonl ends with a {\"next_cursor\": ...} line.")] = False,
    after: Annotated[str | None, typer.Option(
        "--after", metavar="CURSOR",
        help="The page after CURSOR (a next_cursor printed before); implies --page.")
    ] = None,
    *,
    out: Output,
) -> None:
    """List tasks, newest first; filters combine with AND, repeated values with OR.

    Example: mpo list --status awaiting_approval --marketplace amazon

    Example: mpo list --status approved --sort score --explain

    Example: mpo list --status awaiting_approval --search "geo titles"
    """
    from mpo.core.domain.paging import decode, terms
    from mpo.core.domain.selection import TaskQuery
    from mpo.core.usecases.listing import list_page

    app_ctx = current()
    query = TaskQuery(
        statuses=split(status),
        marketplaces=split(marketplace),
        priorities=split(priority),
        categories=split(category),
        created_by=split(created_by),
        assigned_to=split(assigned_to),
        listing_ids=split(listing),
        since=instant("since", since),
        until=instant("until", until),
        limit=limit,
        newest_first=not oldest_first,
        search=terms(search) if search is not None else (),
        after=decode(after) if after is not None else None,
    )
    if sort != "created" or explain:
        from mpo.cli.ranking import ranked_list

        ranked_list(query, sort, explain, out)
        return
    result = list_page(app_ctx.database, app_ctx.actor, query, app_ctx.rules)
    rows = (task_fields.task_row(t) for t in result.tasks)
    if page or after is not None:
        out.page(rows, result.next_cursor.encode() if result.next_cursor else None)
    else:
        out.rows(rows)


def instant(field: str, text: str | None) -> Any:
    if text is None:
        return None
    from zoneinfo import ZoneInfo

    from mpo.core.domain.timeparse import parse_instant

    return parse_instant(field, text, ZoneInfo(current().settings.timezone))


@app.command(rich_help_panel=PANEL)
@output_options(fields.TASK_DETAIL)
def show(
    task_id: Annotated[str, typer.Argument(
        metavar="ID", help="Task id or unique prefix.", autocompletion=values.task_ids)],
    *,
    out: Output,
) -> None:
    """Show every field of a task and its history.

    Example: mpo show 3f2a
    """
    from mpo.core.usecases.reads import show_task

    app_ctx = current()
    task, events = show_task(app_ctx.database, app_ctx.actor, task_id)
    history = [task_fields.event_row(e) for e in events]
    predicted = _prediction(out, task, people=True)
    out.record(task_fields.task_row(task), extra={"history": history} | predicted)
    if out.for_people and predicted:
        p = predicted["prediction"]
        spread = (f"(p10 {p['p10_hours']:g}, p90 {p['p90_hours']:g}; from {p['n']} completed "
                  "tasks)")
        # Done: what it took, against what was predicted (not a forecast any more).
        out.console().print(
            f"actual {task.actual_hours:g} h against predicted {p['predicted_hours']:g} h "
            f"{spread}" if task.actual_hours is not None
            else f"predicted {p['predicted_hours']:g} h {spread}")
    if out.for_people and history:
        Output(out.mode, fields.EVENT.default, wide=out.wide).rows(history, title="history")


def _prediction(out: Output, task: Any, *, people: bool = False) -> dict[str, Any]:
    """The effort prediction for JSON output (and a terminal, with `people`), else nothing:
    one small read (docs/estimate.md)."""
    if out.mode not in (Mode.JSON, Mode.JSONL) and not (people and out.for_people):
        return {}
    from mpo.core.usecases.predictions import prediction_extra

    return prediction_extra(current().database, current().actor, task)

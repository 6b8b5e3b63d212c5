"""The audit trail: `mpo log`."""

from __future__ import annotations

from typing import Annotated

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import output_options, split
from mpo.cli.output import Output
from mpo.cli.tasks import instant
from mpo.core.domain import task_fields
from mpo.core.domain.wellformed import COUNT_MAX
from mpo.report import fields

app = typer.Typer()


@app.command(rich_help_panel="Audit")
@output_options(fields.EVENT)
def log(
    task: Annotated[str | None, typer.Option(
        "--task", metavar="ID", help="Only this task (id or unique prefix).",
        autocompletion=values.task_ids)] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only events by this principal.")
                     ] = None,
    action: Annotated[list[str] | None, typer.Option(
        "--action", help="create, submit, approve, reject, assign, start, complete.")] = None,
    batch: Annotated[str | None, typer.Option(
        "--batch", metavar="BATCH_ID", help="Only the events of this batch (a full id).")
    ] = None,
    marketplace: Annotated[str | None, typer.Option(
        "--marketplace", "-m", help="Only events of this marketplace's tasks.",
        autocompletion=values.marketplaces)] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="ISO date/time, today, yesterday, or back from now: -10m, -12h, -7d.")
                     ] = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=1, max=COUNT_MAX,
                                              help="Only the newest N events.")] = None,
    archived: Annotated[bool, typer.Option(
        "--archived", help="Read the archive too (mpo archive); --task finds an archived "
        "task's events without it.")] = False,
    *,
    out: Output,
) -> None:
    """Show the append-only audit log, oldest first: who did what, when, from, to, why.

    Example: mpo log --task 3f2a
    """
    from mpo.core.usecases.reads import list_events

    app_ctx = current()
    events = list_events(app_ctx.database, app_ctx.actor, task_ref=task, by=actor,
                         actions=split(action), batch=batch, since=instant("since", since),
                         marketplace=marketplace, limit=limit, rules=app_ctx.rules,
                         archived=archived)
    out.rows(task_fields.event_row(e) for e in events)

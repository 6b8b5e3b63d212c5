"""`mpo claim` (take the next task you may execute, with a lease) and `mpo note` (a
progress note in its history): docs/claim.md. `mpo heartbeat` and `mpo release` are batch
verbs generated from the lifecycle's declaration (cli/lifecycle.py)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import output_options, split
from mpo.cli.output import Output
from mpo.core.domain import task_fields
from mpo.report import fields

app = typer.Typer()
PANEL = "Lifecycle"


@app.command(rich_help_panel=PANEL)
@output_options(fields.TASK)
def claim(
    marketplace: Annotated[list[str] | None, typer.Option(
        "--marketplace", "-m", help="Only these marketplaces; repeatable or comma-separated.",
        autocompletion=values.marketplaces)] = None,
    category: Annotated[list[str] | None, typer.Option(
        "--category", "-c", help="Only these categories; repeatable or comma-separated.",
        autocompletion=values.categories)] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", "-t", help="Only tasks with one of these tags; repeatable.")] = None,
    lease: Annotated[str, typer.Option(
        "--lease", metavar="DURATION",
        help="How long the claim holds without a heartbeat: 90s, 15m, 2h.")] = "15m",
    wait: Annotated[str | None, typer.Option(
        "--wait", metavar="DURATION",
        help="If nothing is free, wait this long for a task (the event stream, not "
        "polling): 30s, 10m.", show_default=False)] = None,
    order: Annotated[str, typer.Option(
        "--order", help="oldest (created first) or priority (high first, then oldest).")
    ] = "oldest",
    *,
    out: Output,
) -> None:
    """Take the next approved, unassigned task you may execute (the executors rules): it
    is assigned to you and in progress until you complete or release it, or its lease
    runs out. Exit 3 when nothing is free, 8 when --wait ran out.

    Example: mpo claim --marketplace amazon --lease 15m --wait 30s --json
    """
    from mpo.core.domain.action_values import lease_seconds
    from mpo.core.domain.errors import Cancelled
    from mpo.core.usecases.claims import claim as run
    from mpo.core.usecases.claims import claim_query
    from mpo.core.usecases.waiting import timeout_seconds

    app_ctx = current()
    db, actor = app_ctx.database, app_ctx.actor
    query = claim_query(app_ctx.rules, actor, marketplaces=split(marketplace),
                        categories=split(category), tags=split(tag), order=order)
    seconds = lease_seconds("lease", lease)
    patience = None if wait is None else timeout_seconds(wait)
    try:
        if patience is None:
            task = run(db, actor, query, lease=seconds)
        else:
            with db.waker() as waker:
                task = run(db, actor, query, lease=seconds, wait=patience, waker=waker)
    except KeyboardInterrupt:
        raise Cancelled("claim: interrupted") from None
    out.record(task_fields.task_row(task))
    sys.stdout.flush()  # the executor reads its task at once


@app.command(rich_help_panel=PANEL)
@output_options(fields.RESULT)
def note(
    task_id: Annotated[str, typer.Argument(
        metavar="ID", help="Task id or unique prefix.", autocompletion=values.task_ids)],
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The progress note.")],
    *,
    out: Output,
) -> None:
    """Add a progress note to the history of a task in progress (yours, with a live
    lease if it has one); `mpo show ID` and `mpo log` list it.

    Example: mpo note 3f2a "40 of 50 titles rewritten"
    """
    from mpo.cli.lifecycle import render
    from mpo.core.domain.action_values import transition_params
    from mpo.core.domain.selection import Selection
    from mpo.core.domain.vocabulary import Action
    from mpo.core.usecases.transitions import transition

    app_ctx = current()
    params = transition_params(app_ctx.rules, Action.NOTE, note=text)
    render(out, [transition(app_ctx.database, app_ctx.actor, Action.NOTE,
                            Selection(refs=(task_id,)), params, app_ctx.rules)])

"""`mpo route`: assign approved, unassigned tasks by the routing rules in config."""

from __future__ import annotations

from typing import Annotated

import typer

from mpo.cli.context import current
from mpo.cli.lifecycle import render
from mpo.cli.options import IdempotencyKey, output_options
from mpo.cli.output import Output
from mpo.report import fields

app = typer.Typer()


@app.command(rich_help_panel="Lifecycle")
@output_options(fields.RESULT)
def route(
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show who each task would go to; change nothing.")] = False,
    idempotency_key: IdempotencyKey = None,
    *,
    out: Output,
) -> None:
    """Assign every approved, unassigned task by the first routing rule that matches it.

    Example: mpo route --dry-run
    """
    from mpo.core.usecases.routing import route as run

    app_ctx = current()
    render(out, [run(app_ctx.database, app_ctx.actor, app_ctx.settings.routing_rules,
                     dry_run=dry_run, idempotency_key=idempotency_key)])

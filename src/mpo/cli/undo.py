"""`mpo undo`: compensating transitions for a batch or one event (admins)."""

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
def undo(
    ref: Annotated[str, typer.Argument(
        metavar="BATCH_ID|EVENT_ID", help="A batch id (from a verb's summary or `mpo log`) "
        "or an event id.", show_default=False)],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would change; change nothing.")] = False,
    idempotency_key: IdempotencyKey = None,
    *,
    out: Output,
) -> None:
    """Put the tasks of a batch back where it found them, as new events (admins).

    Example: mpo undo 5d0c7a3e-1b2f-4c8d-9e0a-3f4b5c6d7e8f
    """
    from mpo.core.usecases.undo import undo as run

    app_ctx = current()
    render(out, [run(app_ctx.database, app_ctx.actor, ref, dry_run=dry_run,
                     idempotency_key=idempotency_key)])

"""`mpo expire`: cancel stale proposals in one batch (for cron)."""

from __future__ import annotations

from typing import Annotated

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.lifecycle import render
from mpo.cli.options import output_options, split
from mpo.cli.output import Output
from mpo.report import fields

app = typer.Typer()


@app.command(rich_help_panel="Lifecycle")
@output_options(fields.RESULT)
def expire(
    older_than: Annotated[str | None, typer.Option(
        "--older-than", metavar="AGE", help="N with s, m, h, d or w in the status (default: the "
        "expire_after setting, 7d).", show_default=False)] = None,
    status: Annotated[list[str] | None, typer.Option(
        "--status", "-s", help="pending or awaiting_approval (default); repeatable.",
        autocompletion=values.statuses)] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would be cancelled; change nothing.")] = False,
    *,
    out: Output,
) -> None:
    """Cancel proposals waiting too long, with reason code `expired`, as one batch.

    Example: mpo expire --older-than 7d --status awaiting_approval --dry-run
    """
    from mpo.core.usecases.expiry import expire as run

    app_ctx = current()
    settings = app_ctx.settings
    render(out, [run(app_ctx.database, app_ctx.actor, app_ctx.rules,
                     older_than=older_than or settings.expire_after,
                     statuses=split(status) or ("awaiting_approval",), dry_run=dry_run)])

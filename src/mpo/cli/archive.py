"""`mpo archive`: move old terminal tasks and their events to the archive tables (cron)."""

from __future__ import annotations

from typing import Annotated

import typer

from mpo.cli.context import current
from mpo.cli.options import output_options
from mpo.cli.output import Mode, Output
from mpo.report import fields

app = typer.Typer()


@app.command(rich_help_panel="Audit")
@output_options(fields.ARCHIVE)
def archive(
    before: Annotated[str, typer.Option(
        "--before", metavar="AGE", help="Archive tasks that ended (completed, rejected, "
        "cancelled) longer ago than this: N with s, m, h, d or w (180d, 26w).")],
    chunk: Annotated[int, typer.Option(
        "--chunk", metavar="N", help="Tasks per transaction, 1 to 10000.")] = 1000,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="List the tasks that would move; change nothing.")] = False,
    *,
    out: Output,
) -> None:
    """Move terminal tasks that ended before a cutoff, and their events, to the archive.

    One transaction per chunk: a stopped run leaves nothing half-moved; run it again.

    Quiet on success when piped (cron); --json prints the run's record.

    show, log, export and stats still find archived tasks (docs/archive.md).

    Example: mpo archive --before 180d --dry-run
    """
    from mpo.core.usecases.archive import archive as run

    app_ctx = current()
    result = run(app_ctx.database, app_ctx.actor, before=before, chunk=chunk, dry_run=dry_run)
    if dry_run:
        due = Output(out.mode, fields.ARCHIVE_DUE, out.stream, wide=out.wide)
        due.rows({"id": str(t.id), "status": t.status, "ended_at": t.completed_at
                  or t.rejected_at or t.cancelled_at, "marketplace": t.marketplace,
                  "title": t.title} for t in result.due)
        return
    if out.mode is Mode.TSV:  # piped, as from cron: nothing to say on success
        return
    out.record({"run_id": str(result.run_id), "cutoff": result.cutoff, "dry_run": False,
                "tasks": result.tasks, "events": result.events, "chunks": result.chunks})

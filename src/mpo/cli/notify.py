"""`mpo notify`: send the approval digest to the configured channels (for cron)."""

from __future__ import annotations

import typer

from mpo.cli.context import current
from mpo.cli.options import output_options
from mpo.cli.output import Output
from mpo.report.fields import FieldSet

app = typer.Typer()
OUTCOME = FieldSet("notification", all=("channel", "outcome", "detail"),
                   default=("channel", "outcome", "detail"))


@app.command(rich_help_panel="Events")
@output_options(OUTCOME)
def notify(*, out: Output) -> None:
    """Send the daily "approval needed" digest to each configured channel where it is due.

    A channel that fails is named on stderr and the exit code is 11 (partly failed); the
    others are sent.

    Example: mpo notify --json
    """
    from zoneinfo import ZoneInfo

    from mpo.config import events
    from mpo.core.usecases.notify import Target
    from mpo.core.usecases.notify import notify as run
    from mpo.delivery.notify import sender

    app_ctx = current()
    settings = app_ctx.settings
    channels = events.channels()
    targets = [Target(c.name, events.quiet_hours(
        "quiet_hours", settings.quiet_hours if c.quiet_hours is None else c.quiet_hours))
        for c in channels]
    outcomes = run(app_ctx.database, app_ctx.actor, targets,
                   sender(channels, settings.smtp_url, settings.mail_from),
                   zone=ZoneInfo(settings.timezone),
                   digest_time=events.clock_time("digest_time", settings.digest_time),
                   queue_url=f"{settings.public_url}/web/queue" if settings.public_url else None)
    out.rows({"channel": o.channel, "outcome": o.outcome, "detail": o.detail}
             for o in outcomes)
    failed = [o for o in outcomes if o.outcome == "failed"]
    if failed:
        from mpo.core.domain.errors import PartlyFailed

        raise PartlyFailed("notify: failed on " + "; ".join(
            f"channel {o.channel}: {o.detail}" for o in failed))

"""`mpo stats`: the pipeline's numbers for a window, for people, programs and cron."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import TeamOption, split
from mpo.cli.output import Output, choose_mode, message
from mpo.core.domain.errors import ValidationError
from mpo.core.domain.stats_query import DEFAULT_BACKLOG_AGE, By

app = typer.Typer()


def _groupings(incomplete: str) -> list[str]:
    return [b.value for b in By if b.value.startswith(incomplete)]


@app.command(rich_help_panel="Reports")
def stats(
    since: Annotated[str | None, typer.Option(
        "--since", help="Window start: ISO date/time, today, yesterday, this-month, -7d, -4w "
        "(default: 30 days ago, from midnight).")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", help="Window end, exclusive (default: now).")] = None,
    day: Annotated[str | None, typer.Option(
        "--day", metavar="DAY", help="One whole local day instead: yesterday, today, an ISO "
        "date (the cron form).")] = None,
    tz: Annotated[str | None, typer.Option(
        "--tz", metavar="ZONE", help="IANA time zone that decides what a day is "
        "(default: the timezone setting).")] = None,
    marketplace: Annotated[list[str] | None, typer.Option(
        "--marketplace", "-m", help="Only these marketplaces; repeatable or comma-separated.",
        autocompletion=values.marketplaces)] = None,
    by: Annotated[str | None, typer.Option(
        "--by", metavar="KEY", help=f"Group rows by {', '.join(By)} "
        f"(default: {By.MARKETPLACE}).", show_default=False, autocompletion=_groupings)] = None,
    backlog_age: Annotated[str | None, typer.Option(
        "--backlog-age", metavar="AGE", help="Waiting longer than this counts as backlog: "
        f"N with s, m, h, d or w (default: {DEFAULT_BACKLOG_AGE}).", show_default=False)] = None,
    json_: Annotated[bool, typer.Option("--json", help="Output the JSON document "
                                        "(docs/stats.md).")] = False,
    csv_: Annotated[bool, typer.Option("--csv", help="Output CSV, one row per group.")] = False,
    html: Annotated[Path | None, typer.Option(
        "--html", metavar="FILE", help="Write a self-contained HTML report with charts to FILE and "
        "say where; with --json or --csv, print that too.",
        dir_okay=False)] = None,
    team: TeamOption = None,
) -> None:
    """Report pipeline, approval, execution and estimate metrics for a time window.

    Example: mpo stats --day yesterday --json
    """
    from mpo.cli.report import people
    from mpo.core.usecases.stats import stats as compute
    from mpo.report.text import plain

    app_ctx = current()
    settings = app_ctx.settings
    mode = choose_mode(json_=json_, jsonl=False, csv_=csv_)
    result = compute(app_ctx.database, app_ctx.actor, app_ctx.rules, since=since,
                     until=until, day=day, zone=tz or settings.timezone,
                     marketplaces=split(marketplace), by=by, backlog_age=backlog_age,
                     team=team)
    document = result.document()
    if html is not None:
        from mpo.core.usecases.distributions import LABELS, histograms
        from mpo.report.html import page

        window = result.query.window
        spans = histograms(app_ctx.database, app_ctx.actor, window.since, window.until,
                           result.query.marketplaces)
        _write(html, page(document, {"turnaround": spans.turnaround,
                                     "execution": spans.execution}, LABELS))
        message(f"wrote {html}")
        if not (json_ or csv_):
            return  # `--html FILE` alone: the page is the output, and where it went
    Output(mode, result.csv_fields).report(
        document, result.csv_rows(),
        people=lambda console: people(document, console),
        plain=lambda stream: plain(document, stream))


def _write(path: Path, content: str) -> None:
    """Replace `path` whole (a temporary file renamed over it): a web server or a reader
    never sees half a report, even when cron writes it while someone looks."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(content, encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ValidationError("html", f"cannot write {path}: {exc.strerror}") from None

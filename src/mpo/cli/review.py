"""The terminal apps: `mpo review` (the approval queue) and `mpo dashboard` (a live view).

Textual is imported inside the commands only, so `mpo --help` stays light.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import TeamOption, split
from mpo.core.domain import validation

app = typer.Typer()
PANEL = "Views"


@app.command(rich_help_panel=PANEL)
def review(
    marketplace: Annotated[list[str] | None, typer.Option(
        "--marketplace", "-m", help="Only these marketplaces; repeatable or comma-separated.",
        autocompletion=values.marketplaces)] = None,
    group_by: Annotated[str, typer.Option(
        "--group-by", metavar="KEY", help="Group the queue by marketplace, agent or listing "
        "(g switches in the app).")] = "marketplace",
    team: TeamOption = None,
) -> None:
    """Work through the approval queue in the terminal, keyboard only (needs a terminal).

    Keys: a approve, r reject (reason picker), s skip, space mark, * mark all shown,
    / filter, g group by marketplace, agent or listing, u undo, q quit.

    Example: mpo review --marketplace amazon
    """
    from mpo.tui.terminal import require_terminal

    require_terminal("review", "in scripts use `mpo approve` and `mpo reject`")
    from mpo.tui.queue_view import GROUPINGS
    from mpo.tui.review import ReviewApp

    validation.one_of("group-by", group_by, list(GROUPINGS))
    app_ctx = current()
    rules = app_ctx.rules
    marketplaces = split(marketplace)
    for name in marketplaces:
        validation.one_of("marketplace", name, list(rules.marketplaces))
    ReviewApp(app_ctx.database, app_ctx.actor, rules, marketplaces=marketplaces,
              grouping=group_by, team=team).run()


@app.command(rich_help_panel=PANEL)
def dashboard(
    interval: Annotated[float, typer.Option(
        "--interval", metavar="SECONDS", min=0.2,
        help="How often to look for changes (a cheap check; numbers are re-read only when "
        "the database changed).")] = 2.0,
    team: TeamOption = None,
) -> None:
    """A live view of the pipeline, refreshed when the database changes; q or Ctrl-C quits.

    Counts per status, the queue per marketplace, the oldest proposal, approvals per day
    this week, and when each agent last proposed a task.

    Example: mpo dashboard --interval 5
    """
    from mpo.tui.terminal import require_terminal

    require_terminal("dashboard", "for numbers in scripts use `mpo stats`")
    from mpo.tui.dashboard import DashboardApp

    app_ctx = current()
    DashboardApp(app_ctx.database, app_ctx.actor, zone=app_ctx.settings.timezone,
                 interval=interval, team=team).run()

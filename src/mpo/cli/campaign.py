"""`mpo campaign`: fan one piece of work out to many marketplaces, and follow it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import output_options, split
from mpo.cli.output import Output, message
from mpo.cli.task_options import (
    CategoryOption,
    Description,
    EstimatedHours,
    Metadata,
    PriorityOption,
    Title,
)
from mpo.core.domain.task_fields import task_row
from mpo.report import fields
from mpo.report.fields import CAMPAIGN, campaign_row

app = typer.Typer()
campaign_app = typer.Typer(help="Campaigns: one task per marketplace, followed as one.",
                           no_args_is_help=True)
app.add_typer(campaign_app, name="campaign", rich_help_panel="Tasks")


@campaign_app.command("create")
@output_options(fields.TASK)
def create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The campaign's name (unique).")],
    marketplaces: Annotated[list[str], typer.Option(
        "--marketplaces", "-m", help="Marketplaces, comma-separated or repeated: one task "
        "each, created by marketplace-<name>.", autocompletion=values.marketplaces)],
    title: Title = None,
    description: Description = None,
    category: CategoryOption = None,
    priority: PriorityOption = None,
    estimated_hours: EstimatedHours = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", help="A tag; repeatable or comma-separated (campaign:NAME is added).")] = None,
    metadata: Metadata = None,
    template: Annotated[str | None, typer.Option(
        "--template", metavar="NAME", help="Take the task fields from this template "
        "(mpo template list); options given here override them.")] = None,
    *,
    out: Output,
) -> None:
    """Create one task per marketplace, in one transaction (master and admin).

    Example: mpo campaign create black-friday -m amazon,shopee -t "Bundles" -c scaling -e 6

    Example: mpo campaign create cyber-monday -m amazon,shopee --template weekly-bundles
    """
    from mpo.core.usecases.campaign import create_campaign

    app_ctx = current()
    task_fields: dict[str, Any] = {
        k: v for k, v in {
            "title": title, "description": description, "category": category,
            "priority": priority, "estimated_hours": estimated_hours,
            "tags": list(split(tag)) or None, "metadata": metadata,
        }.items() if v is not None
    }
    tasks = create_campaign(app_ctx.database, app_ctx.actor, name, split(marketplaces),
                            task_fields, app_ctx.rules, template=template)
    out.rows(task_row(t) for t in tasks)
    message(f"campaign {name}: created {len(tasks)} tasks")


@campaign_app.command("show")
@output_options(CAMPAIGN)
def show(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The campaign's name.")],
    *,
    out: Output,
) -> None:
    """Show a campaign's progress per status, its hours, and its tasks.

    Example: mpo campaign show black-friday
    """
    from mpo.core.usecases.campaign import show_campaign

    app_ctx = current()
    rollup, tasks = show_campaign(app_ctx.database, app_ctx.actor, name)
    rows = [task_row(t) for t in tasks]
    out.record(campaign_row(rollup), extra={"tasks": rows})
    if out.for_people:
        Output(out.mode, ("id", "marketplace", "status", "estimated_hours", "actual_hours",
                          "assigned_to")).rows(rows, title="tasks")


@campaign_app.command("list")
@output_options(CAMPAIGN)
def list_(*, out: Output) -> None:
    """List campaigns with their tasks per status and progress.

    Example: mpo campaign list --json
    """
    from mpo.core.usecases.campaign import list_campaigns

    app_ctx = current()
    out.rows(campaign_row(r) for r in list_campaigns(app_ctx.database, app_ctx.actor))

"""`mpo template add|list|show|remove|run` and `mpo tick`: recurring work from templates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import output_options, split
from mpo.cli.output import Output, message
from mpo.cli.task_options import (
    CategoryOption,
    Description,
    EstimatedHours,
    Listing,
    PriorityOption,
    Title,
)
from mpo.core.domain import task_fields, wellformed
from mpo.core.domain.errors import ValidationError
from mpo.report import fields
from mpo.report.fields import FieldSet

if TYPE_CHECKING:
    from mpo.core.tables.models import TaskTemplate

app = typer.Typer()
template_app = typer.Typer(help="Templates for recurring work: add, list, show, remove, run.")
app.add_typer(template_app, name="template", rich_help_panel="Tasks")

TEMPLATE = FieldSet(
    "template",
    all=("name", "every", "starts_at", "created_at", "created_by", "fields"),
    default=("name", "every", "starts_at", "created_by", "fields"),
)


def _row(template: TaskTemplate) -> dict[str, Any]:
    return {"name": template.name, "every": template.every, "starts_at": template.starts_at,
            "created_at": template.created_at, "created_by": template.created_by,
            "fields": dict(template.fields)}


@template_app.command("add")
@output_options(TEMPLATE)
def add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The template's name.",
                                        show_default=False)],
    every: Annotated[str | None, typer.Option(
        "--every", metavar="CRON", help="Run on this cron schedule, in the configured time "
        "zone ('0 9 * * 1': Mondays at 9).")] = None,
    starts: Annotated[str | None, typer.Option(
        "--starts", metavar="TIME", help="No occurrence before this instant (default: now).")
    ] = None,
    json_fields: Annotated[str | None, typer.Option(
        "--fields-json", metavar="JSON", help="The task fields as one JSON object.")] = None,
    marketplace: Annotated[str | None, typer.Option(
        "--marketplace", "-m", help="Marketplace of each task.",
        autocompletion=values.marketplaces)] = None,
    title: Title = None,
    description: Description = None,
    category: CategoryOption = None,
    priority: PriorityOption = None,
    estimated_hours: EstimatedHours = None,
    created_by: Annotated[str | None, typer.Option(
        "--created-by", help="The agent each task is created for.")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", help="A tag; repeatable or comma-separated.")] = None,
    due: Annotated[str | None, typer.Option(
        "--due", metavar="+Nd", help="Due this long after each period (+7d), or a date.")
    ] = None,
    listing: Listing = None,
    *,
    out: Output,
) -> None:
    """Add a template: task fields as options or --fields-json, optionally --every CRON.

    Example: mpo template add audit -m amazon -t "Audit" -c analysis -e 2 --every "0 9 * * 1"
    """
    from mpo.core.usecases.templates import TemplateSpec, add_template

    app_ctx = current()
    given: dict[str, Any] = {}
    if json_fields is not None:
        given = wellformed.loads("fields-json", json_fields)  # I-JSON, bounded depth
        if not isinstance(given, dict):
            raise ValidationError("fields-json", "must be a JSON object")
    options = {"marketplace": marketplace, "title": title, "description": description,
               "category": category, "priority": priority, "estimated_hours": estimated_hours,
               "created_by": created_by, "tags": list(split(tag)) or None, "due_date": due,
               "listing_id": listing}
    given |= {k: v for k, v in options.items() if v is not None}
    starts_at = None
    if starts is not None:
        from mpo.cli.tasks import instant

        starts_at = instant("starts", starts)
    template = add_template(app_ctx.database, app_ctx.actor,
                            TemplateSpec(name, given, every, starts_at), app_ctx.rules)
    out.record(_row(template))


@template_app.command("list")
@output_options(TEMPLATE)
def list_(*, out: Output) -> None:
    """List the templates.

    Example: mpo template list
    """
    from mpo.core.usecases.templates import list_templates

    app_ctx = current()
    out.rows(_row(t) for t in list_templates(app_ctx.database, app_ctx.actor))


@template_app.command("show")
@output_options(FieldSet("template", all=TEMPLATE.all, default=TEMPLATE.all))
def show(name: Annotated[str, typer.Argument(metavar="NAME", help="The template's name.",
                                             show_default=False)], *,
         out: Output) -> None:
    """Show one template.

    Example: mpo template show weekly-audit
    """
    from mpo.core.usecases.templates import show_template

    app_ctx = current()
    out.record(_row(show_template(app_ctx.database, app_ctx.actor, name)))


@template_app.command("remove")
def remove(name: Annotated[str, typer.Argument(
        metavar="NAME", help="The template's name.", show_default=False)]) -> None:
    """Remove a template (the tasks it made stay).

    Example: mpo template remove weekly-audit
    """
    from mpo.core.usecases.templates import remove_template

    app_ctx = current()
    remove_template(app_ctx.database, app_ctx.actor, name)
    message(f"removed template {name}")


@template_app.command("run")
@output_options(fields.CREATED)
def run(name: Annotated[str, typer.Argument(metavar="NAME", help="The template's name.",
                                            show_default=False)], *,
        out: Output) -> None:
    """Make one task from a template now (a one-off).

    Example: mpo template run weekly-audit --json
    """
    from mpo.core.usecases.templates import run_template

    app_ctx = current()
    result = run_template(app_ctx.database, app_ctx.actor, name, app_ctx.rules)
    out.record(task_fields.task_row(result.tasks[0].task) | {"created": result.tasks[0].created})


@app.command(rich_help_panel="Tasks")
@output_options(fields.CREATED)
def tick(
    at: Annotated[str | None, typer.Option(
        "--at", metavar="TIME", help="Tick as of this instant (default: now).")] = None,
    *,
    out: Output,
) -> None:
    """Create every scheduled occurrence that has come due, exactly once per period (cron).

    A template that fails is named on stderr and the others still tick; then the exit
    code is 11 (partly failed).

    Example: mpo tick
    """
    from mpo.cli.tasks import instant
    from mpo.core.domain.errors import PartlyFailed
    from mpo.core.usecases.templates import tick as run_tick

    app_ctx = current()
    ticked = run_tick(app_ctx.database, app_ctx.actor, app_ctx.rules,
                      catch_up=app_ctx.settings.tick_catch_up, at=instant("at", at))
    result = ticked.result
    made = [c for c in result.tasks if c.created]
    out.rows(task_fields.task_row(c.task) | {"created": True} for c in made)
    for problem in result.skipped:
        message(f"skipped {problem.item}: {problem.reason}")
    for name, reason in ticked.failed:
        message(f"failed template {name}: {reason}")
    message(f"created {len(made)}, existing {len(result.tasks) - len(made)}, "
            f"skipped {len(result.skipped)}, failed {len(ticked.failed)}")
    if ticked.failed:
        raise PartlyFailed(f"{len(ticked.failed)} of the templates failed to tick: "
                           + ", ".join(name for name, _ in ticked.failed))

"""`mpo estimate`: predicted actual hours of a task, from the tasks completed before it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.output import Mode, Output, choose_mode, message
from mpo.core.domain.errors import UsageError

if TYPE_CHECKING:
    from mpo.core.domain.estimate import Prediction

app = typer.Typer()
FIELDS = ("estimated_hours", "predicted_hours", "p10_hours", "p90_hours", "ratio", "n")


@app.command(rich_help_panel="Reports")
def estimate(
    task_id: Annotated[str | None, typer.Argument(
        metavar="[ID]", help="A task id or unique prefix; or describe a new task with the "
        "options.", autocompletion=values.task_ids)] = None,
    marketplace: Annotated[str | None, typer.Option(
        "--marketplace", "-m", help="Marketplace of a task not yet created.",
        autocompletion=values.marketplaces)] = None,
    category: Annotated[str | None, typer.Option(
        "--category", "-c", help="Its category.", autocompletion=values.categories)] = None,
    estimated_hours: Annotated[float | None, typer.Option(
        "--estimated-hours", "-e", help="Its estimate, in hours.")] = None,
    created_by: Annotated[str | None, typer.Option(
        "--created-by", help="The agent that would create it (default: the marketplace's "
        "agent, marketplace-<name>).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Output JSON.")] = False,
) -> None:
    """Predict a task's actual hours from similar completed tasks, with a p10-p90 interval.

    Example: mpo estimate --marketplace amazon --category optimization --estimated-hours 4
    """
    from mpo.core.usecases.predictions import estimate_draft, estimate_task

    app_ctx = current()
    described = any(v is not None for v in (marketplace, category, estimated_hours,
                                            created_by))
    if task_id is not None and described:
        raise UsageError("estimate: give a task id or --marketplace/--category/"
                         "--estimated-hours, not both")
    extra: dict[str, Any] = {}
    if task_id is not None:
        task, found = estimate_task(app_ctx.database, app_ctx.actor, task_id)
        extra = {"id": str(task.id)}
    else:
        if estimated_hours is None or category is None:
            raise UsageError("estimate: give a task id, or --category and --estimated-hours "
                             "(and --marketplace unless you are that marketplace's agent)")
        found = estimate_draft(app_ctx.database, app_ctx.actor, app_ctx.rules,
                               marketplace=marketplace, category=category,
                               estimated_hours=estimated_hours, agent=created_by)
    _render(found, extra, choose_mode(json_=json_, jsonl=False, csv_=False))


def _render(found: Prediction | None, extra: dict[str, Any], mode: Mode) -> None:
    from mpo.core.domain.estimate import MIN_HISTORY

    if found is None:
        # Not an error: a new team has no history yet.
        if mode is Mode.JSON:
            Output(mode, ()).record({}, extra=extra | {"prediction": None})
        message(f"no prediction: fewer than {MIN_HISTORY} completed tasks to learn from")
        return
    document = found.as_dict()
    if mode is Mode.JSON:
        Output(mode, ()).record({}, extra=extra | {"prediction": document})
        return
    out = Output(mode, FIELDS)
    out.record(document)
    if out.for_people:
        Output(mode, ("level", "n", "median_ratio", "ratio")).rows(document["levels"],
                                                                     title="groups")

"""`mpo subtask`: ordered, checkpointed steps of a task (docs/subtask.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import output_options
from mpo.cli.output import Output
from mpo.core.usecases.subtasks import Step, SubtaskType
from mpo.report.fields import SUBTASK, subtask_row

app = typer.Typer()
subtask_app = typer.Typer(help="Subtasks: ordered steps of a task, each approved by a person "
                          "at its checkpoint.", no_args_is_help=True)
app.add_typer(subtask_app, name="subtask", rich_help_panel="Tasks")
TYPES = ", ".join(t.value for t in SubtaskType)


@subtask_app.command("add")
@output_options(SUBTASK)
def add(
    parent: Annotated[str, typer.Argument(metavar="PARENT", help="Task id or unique prefix.",
                                          autocompletion=values.task_ids)],
    kind: Annotated[str, typer.Option("--type", help=f"One of {TYPES}.")],
    title: Annotated[str, typer.Option("--title", "-t", help="1-200 characters.")],
    *,
    out: Output,
) -> None:
    """Append a pending subtask to a task (master and admin).

    Example: mpo subtask add 3f2a --type analysis --title "Audit the top 50 listings"
    """
    from mpo.core.usecases.subtasks import add_subtask

    app_ctx = current()
    out.record(subtask_row(add_subtask(app_ctx.database, app_ctx.actor, parent, kind, title)))


@subtask_app.command("list")
@output_options(SUBTASK)
def list_(
    parent: Annotated[str, typer.Argument(metavar="PARENT", help="Task id or unique prefix.",
                                          autocompletion=values.task_ids)],
    *,
    out: Output,
) -> None:
    """List a task's subtasks in order.

    Example: mpo subtask list 3f2a
    """
    from mpo.core.usecases.subtasks import list_subtasks

    app_ctx = current()
    _, subtasks = list_subtasks(app_ctx.database, app_ctx.actor, parent)
    out.rows(subtask_row(s) for s in subtasks)


@subtask_app.command("start")
@output_options(SUBTASK)
def start(
    subtask: Annotated[str, typer.Argument(metavar="SUBTASK", help="Subtask id or prefix.")],
    *,
    out: Output,
) -> None:
    """Start a pending subtask once its task is approved and the ones before it are done.

    Example: mpo subtask start 9c1e
    """
    step_and_show(Step.START, subtask, out)


@subtask_app.command("fail")
@output_options(SUBTASK)
def fail(
    subtask: Annotated[str, typer.Argument(metavar="SUBTASK", help="Subtask id or prefix.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it cannot be done.")],
    *,
    out: Output,
) -> None:
    """Give up on a pending or started subtask; it no longer holds its task open.

    Example: mpo subtask fail 9c1e --reason "no API access to the catalogue"
    """
    step_and_show(Step.FAIL, subtask, out, reason=reason)


def step_and_show(step: Step, ref: str, out: Output, *, data: str | None = None,
          note: str | None = None, reason: str | None = None) -> None:
    """Take one subtask step and print the subtask as it now stands."""
    from mpo.core.usecases.subtasks import take_step

    app_ctx = current()
    done = take_step(app_ctx.database, app_ctx.actor, step, ref, data=data, note=note,
                     reason=reason)
    out.record(subtask_row(done))

"""`mpo checkpoint`: an agent reports a subtask's result; a person accepts or rejects it."""

from __future__ import annotations

from typing import Annotated

import typer

from mpo.cli.options import output_options
from mpo.cli.output import Output
from mpo.cli.subtask import step_and_show
from mpo.core.usecases.subtasks import Step
from mpo.report.fields import SUBTASK

app = typer.Typer()
checkpoint_app = typer.Typer(help="Checkpoints: subtask results waiting for a person.",
                             no_args_is_help=True)
app.add_typer(checkpoint_app, name="checkpoint", rich_help_panel="Tasks")
SUBTASK_ARG = typer.Argument(metavar="SUBTASK", help="Subtask id or unique prefix.")


@checkpoint_app.command("submit")
@output_options(SUBTASK)
def submit(
    subtask: Annotated[str, SUBTASK_ARG],
    data: Annotated[str, typer.Option("--data", metavar="JSON",
                                      help="The result: a JSON object of at most 16 KiB.")],
    *,
    out: Output,
) -> None:
    """Report a started subtask's result; it waits at its checkpoint (agents, master).

    Example: mpo checkpoint submit 9c1e --data '{"skus": 50, "findings": "..."}'
    """
    step_and_show(Step.SUBMIT, subtask, out, data=data)


@checkpoint_app.command("approve")
@output_options(SUBTASK)
def approve(
    subtask: Annotated[str, SUBTASK_ARG],
    note: Annotated[str | None, typer.Option("--note", help="A note for the log.")] = None,
    *,
    out: Output,
) -> None:
    """Accept a checkpoint: the subtask completes and the next one may start.

    Example: mpo checkpoint approve 9c1e --note "good analysis"
    """
    step_and_show(Step.APPROVE, subtask, out, note=note)


@checkpoint_app.command("reject")
@output_options(SUBTASK)
def reject(
    subtask: Annotated[str, SUBTASK_ARG],
    reason: Annotated[str, typer.Option("--reason", help="What to redo.")],
    *,
    out: Output,
) -> None:
    """Send a checkpoint back: the subtask is pending again, its result kept in the log.

    Example: mpo checkpoint reject 9c1e --reason "cover the kids' range too"
    """
    step_and_show(Step.REJECT, subtask, out, reason=reason)

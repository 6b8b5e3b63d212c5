"""`mpo workflow show|apply` and `mpo move`: custom states in the path (docs/workflow.md)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mpo.cli.context import current
from mpo.cli.lifecycle import render, run
from mpo.cli.options import BatchFlags, output_options, selection_options
from mpo.cli.output import Output, message
from mpo.core.domain.errors import ValidationError
from mpo.report import fields

if TYPE_CHECKING:
    from mpo.core.domain.lifecycle import Lifecycle
    from mpo.core.domain.workflow import CustomState

app = typer.Typer()
workflow_app = typer.Typer(help="Custom workflows: extra states in the path; show, apply.")
app.add_typer(workflow_app, name="workflow", rich_help_panel="Lifecycle")
PANEL = "Lifecycle"

STATUS = fields.WORKFLOW


def _rows(lifecycle: Lifecycle, states: tuple[CustomState, ...]) -> list[dict[str, Any]]:
    """One row per status, in path order: custom ones with their roles, and the actions
    that leave each."""
    declared = {s.name: s for s in states}
    rows = []
    for status in lifecycle.statuses:
        state = declared.get(status)
        leaves = sorted({s.action if s.action != "move" else f"move --to {s.target}"
                         for s in lifecycle.actions.values() if status in s.sources})
        rows.append({
            "status": status, "custom": state is not None,
            "after": state.after if state else None,
            "enter": ",".join(state.enter) if state else None,
            "leave": ",".join(state.leave) if state else None,
            "distinct": state.distinct if state else None,
            "leaves_by": ", ".join(leaves) or "(terminal)"})
    return rows


@workflow_app.command("show")
@output_options(STATUS)
def show(*, out: Output) -> None:
    """Show the statuses in path order: the built-in ones and those a workflow added, who
    may move a task in and out, and which actions leave each.

    Example: mpo workflow show --json
    """
    from mpo.core.usecases.workflow_apply import show_workflow

    app_ctx = current()
    out.rows(_rows(*show_workflow(app_ctx.database, app_ctx.actor)))


@workflow_app.command("apply")
@output_options(STATUS)
def apply(
    file: Annotated[str, typer.Argument(
        metavar="FILE", help="A TOML file with [[states]] tables (- for stdin); "
        "`states = []` restores the built-in lifecycle.", show_default=False)],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Check the file and show the statuses; install nothing.")] = False,
    *,
    out: Output,
) -> None:
    """Install a custom workflow (admins): each state sits after another, with the roles
    that may move a task in (enter) and out (leave), and whether whoever moves it out must
    differ from the task's assignee (distinct).

    Example: mpo workflow apply review.toml
    """
    from mpo.core.usecases.workflow_apply import apply_workflow

    text = sys.stdin.read() if file == "-" else _read(file)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError("file", f"not valid TOML: {exc}") from None
    app_ctx = current()
    lifecycle, states = apply_workflow(app_ctx.database, app_ctx.actor, document,
                                       dry_run=dry_run)
    out.rows(_rows(lifecycle, states))
    verb = "would install" if dry_run else "installed"
    message(f"{verb} {len(states)} custom state{'s' if len(states) != 1 else ''}"
            + ("" if states else " (the built-in lifecycle)"))


def _read(file: str) -> str:
    try:
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError("file", f"cannot read {file}: {exc}") from None


@app.command(rich_help_panel=PANEL)
@output_options(fields.RESULT)
@selection_options
def move(
    to: Annotated[str | None, typer.Option(
        "--to", metavar="STATUS", help="Required: the status to move to, along a custom "
        "workflow's path (mpo workflow show).")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why, for the audit log.")] = None,
    *,
    batch: BatchFlags,
    out: Output,
) -> None:
    """Move tasks into a custom workflow's state, or back out of it to where they came from.

    Example: mpo move 3f2a --to in_review --note "ready for review"
    """
    from mpo.core.domain.action_values import transition_params

    render(out, [run("move", batch, transition_params(current().rules, "move", to=to,
                                                       note=note))])

"""Lifecycle verbs: submit, approve, reject, assign, start, complete, cancel.

Each takes many ids, unique prefixes, `-` for ids on stdin, or filters; a batch is all or
nothing unless --skip-invalid, and carries one batch id on every event it writes.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mpo.cli import confirm
from mpo.cli.context import current
from mpo.cli.options import BatchFlags, output_options, selection_options
from mpo.cli.output import Output, message, stdout_is_tty
from mpo.cli.progress import progress
from mpo.core.lifecycle import SPECS
from mpo.core.vocabulary import Action
from mpo.report import fields

if TYPE_CHECKING:
    from mpo.core.lifecycle import TransitionParams
    from mpo.core.results import BatchResult

app = typer.Typer()
PANEL = "Lifecycle"


def _can_prompt() -> bool:
    return sys.stdin.isatty() and stdout_is_tty()


def _apply(action: Action, batch: BatchFlags, out: Output, **given: Any) -> None:
    """Validate, plan (and confirm on a terminal when large), apply, render."""
    from mpo.core.validation import transition_params

    params = transition_params(current().rules, action, **given)
    render(out, [run(action, batch, params)])


def run(action: Action | str, batch: BatchFlags, params: TransitionParams) -> BatchResult:
    """Apply a batch verb, asking first on a terminal when the batch is large."""
    from mpo.core.transitions import transition

    app_ctx = current()
    rules = app_ctx.rules
    db, actor = app_ctx.database, app_ctx.actor
    expect = None
    threshold = app_ctx.settings.confirm_over
    if not batch.dry_run and not batch.yes and confirm.may_exceed(batch.selection, threshold):
        plan = transition(db, actor, action, batch.selection, params, rules, dry_run=True,
                          skip_invalid=batch.skip_invalid)
        if confirm.large_batch(str(action), len(plan.task_ids), threshold,
                               can_prompt=_can_prompt()):
            expect = plan.task_ids
    with progress(str(action)) as report:
        return transition(db, actor, action, batch.selection, params, rules,
                          dry_run=batch.dry_run, skip_invalid=batch.skip_invalid,
                          expect=expect, progress=report)


def render(out: Output, results: list[BatchResult]) -> None:
    """One table (or JSON array) of every batch's rows, then a summary line per batch
    (what followed in the same transaction, such as routing, included)."""
    results = [r for result in results for r in (result, *result.then)]
    out.rows([row for result in results for row in fields.result_rows(result)])
    for result in results:
        moved = len(result.task_ids)
        verb = f"would {result.action}" if result.dry_run else _DONE.get(
            result.action, f"{result.action}:")
        tail = "" if result.dry_run or not moved else f" (batch {result.batch_id})"
        message(f"{verb} {moved} task{'s' if moved != 1 else ''}{tail}"
                + (f", skipped {len(result.skipped)}" if result.skipped else ""))


#: What each verb's summary line says it did (from the declarations, and undo's).
_DONE: dict[str, str] = {s.action: s.done for s in SPECS} | {Action.UNDO: "undid",
                                                              "move": "moved"}


@app.command(rich_help_panel=PANEL)
@output_options(fields.RESULT)
@selection_options
def submit(*, batch: BatchFlags, out: Output) -> None:
    """Submit pending tasks for approval (pending -> awaiting_approval); agents their own.

    Example: mpo submit --mine
    """
    _apply(Action.SUBMIT, batch, out)


@app.command(rich_help_panel=PANEL)
@output_options(fields.RESULT)
@selection_options
def approve(
    note: Annotated[str | None, typer.Option("--note", help="Why, for the audit log.")] = None,
    *,
    batch: BatchFlags,
    out: Output,
) -> None:
    """Approve tasks awaiting approval (-> approved); with auto_assign on, route them to people.

    Example: mpo approve 3f2a91c0 7bd0 --note "go"
    """
    _apply(Action.APPROVE, batch, out, note=note)


@app.command(rich_help_panel=PANEL)
@output_options(fields.RESULT)
@selection_options
def reject(
    reason_code: Annotated[str | None, typer.Option(
        "--reason-code", metavar="CODE",
        help="Required: one of the configured rejection codes (mpo config get "
        "rejection_codes).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Free text.")] = None,
    *,
    batch: BatchFlags,
    out: Output,
) -> None:
    """Reject tasks awaiting approval, with a reason (-> rejected, terminal).

    Example: mpo reject 9c1e --reason-code duplicate --reason "same as 3f2a"
    """
    _apply(Action.REJECT, batch, out, reason_code=reason_code, reason=reason)


@app.command(rich_help_panel=PANEL)
@output_options(fields.RESULT)
@selection_options
def assign(
    to: Annotated[str | None, typer.Option("--to", metavar="NAME",
                                            help="Required: the team member.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why, for the audit log.")] = None,
    *,
    batch: BatchFlags,
    out: Output,
) -> None:
    """Assign approved tasks to a team member and start them (-> in_progress).

    Example: mpo assign 3f2a --to ana
    """
    _apply(Action.ASSIGN, batch, out, assignee=to, note=note)


@app.command(rich_help_panel=PANEL)
@output_options(fields.RESULT)
@selection_options
def start(
    note: Annotated[str | None, typer.Option("--note", help="Why, for the audit log.")] = None,
    *,
    batch: BatchFlags,
    out: Output,
) -> None:
    """Start approved tasks yourself (-> in_progress, assigned to you if unassigned).

    Example: mpo start 3f2a
    """
    _apply(Action.START, batch, out, note=note)


@app.command(rich_help_panel=PANEL)
@output_options(fields.RESULT)
@selection_options
def complete(
    actual_hours: Annotated[float | None, typer.Option(
        "--actual-hours", metavar="HOURS", help="Required: hours actually spent.")] = None,
    note: Annotated[str | None, typer.Option(
        "--note", help="Completion notes, kept on the task (completion_notes).")] = None,
    *,
    batch: BatchFlags,
    out: Output,
) -> None:
    """Complete tasks in progress, reporting the hours spent (-> completed).

    Example: mpo complete 3f2a --actual-hours 3.5
    """
    _apply(Action.COMPLETE, batch, out, actual_hours=actual_hours, note=note)


@app.command(rich_help_panel=PANEL)
@output_options(fields.RESULT)
@selection_options
def cancel(
    reason_code: Annotated[str | None, typer.Option(
        "--reason-code", metavar="CODE",
        help="Required: one of the configured cancel codes (mpo config get cancel_codes).")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Free text.")] = None,
    *,
    batch: BatchFlags,
    out: Output,
) -> None:
    """Cancel tasks not yet finished (-> cancelled, terminal); agents their own proposals.

    Example: mpo cancel 9c1e --reason-code obsolete --reason "listing removed"
    """
    from mpo.core.cancel import params

    render(out, [run(Action.CANCEL, batch, params(current().rules, reason_code,
                                                   reason))])

"""Lifecycle verbs: submit, approve, reject, assign, start, complete, cancel, heartbeat,
release (`claim` and `note` have commands of their own: cli/claim.py).

One command per action of the lifecycle's declaration (`core/domain/lifecycle.py: SPECS`): its
options are the action's parameters and its help the action's summary, so a verb declared
there appears here (with a line in `USAGE`, and its name in `cli/app.py: COMMANDS`).

Each takes many ids, unique prefixes, `-` for ids on stdin, or filters; a batch is all or
nothing unless --skip-invalid, and carries one batch id on every event it writes.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

from mpo.cli import confirm
from mpo.cli.context import current
from mpo.cli.options import BatchFlags, action_options, output_options, selection_options
from mpo.cli.output import Output, message, stdout_is_tty
from mpo.cli.progress import progress
from mpo.core.domain.lifecycle import SPECS, TERMINAL, ActionSpec
from mpo.core.domain.vocabulary import Action
from mpo.report import fields

if TYPE_CHECKING:
    from mpo.core.domain.lifecycle import TransitionParams
    from mpo.core.domain.results import BatchResult

app = typer.Typer()
PANEL = "Lifecycle"


def _can_prompt() -> bool:
    return sys.stdin.isatty() and stdout_is_tty()


def _apply(action: Action, batch: BatchFlags, out: Output, **given: Any) -> None:
    """Validate, plan (and confirm on a terminal when large), apply, render."""
    from mpo.core.domain.action_values import transition_params

    params = transition_params(current().rules, action, **given)
    render(out, [run(action, batch, params)])


def run(action: Action | str, batch: BatchFlags, params: TransitionParams) -> BatchResult:
    """Apply a batch verb, asking first on a terminal when the batch is large."""
    from mpo.core.usecases.transitions import transition

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
                          expect=expect, progress=report,
                          idempotency_key=batch.idempotency_key)


def render(out: Output, results: list[BatchResult]) -> None:
    """One table (or JSON array) of every batch's rows, then a summary line per batch
    (what followed in the same transaction, such as routing, included); a first result
    replayed for an idempotency key says that nothing changed now."""
    results = [r for result in results for r in (result, *result.then)]
    out.rows([row for result in results for row in fields.result_rows(result)])
    # Nothing applied: the error line is the summary (the skipped rows say why).
    nothing_applied(sum(len(r.skipped) for r in results),
                    sum(len(r.task_ids) for r in results))
    for result in results:
        moved = len(result.task_ids)
        verb = f"would {result.action}" if result.dry_run else _DONE.get(
            result.action, f"{result.action}:")
        tail = "" if result.dry_run or not moved else f" (batch {result.batch_id})"
        message(f"{verb} {moved} task{'s' if moved != 1 else ''}{tail}"
                + (f", skipped {len(result.skipped)}" if result.skipped else "")
                + (" earlier; this retry of its idempotency key changed nothing"
                   if result.replayed else ""))


def nothing_applied(skipped: int, applied: int) -> None:
    """`--skip-invalid`'s rule (docs/exit-codes.md): exit 12 when items were skipped and
    none applied, so a script tells it from a batch that did something (0)."""
    from mpo.core.domain.errors import NothingApplied

    if skipped and not applied:
        raise NothingApplied(f"nothing applied: all {skipped} item"
                             f"{'s were' if skipped != 1 else ' was'} skipped")


#: What each verb's summary line says it did (from the declarations, and undo's).
_DONE: dict[str, str] = {s.action: s.done for s in SPECS} | {Action.UNDO: "undid",
                                                              "move": "moved"}


#: What each command's help adds to its declaration's summary, and its example.
USAGE: dict[Action, tuple[str, str]] = {
    Action.SUBMIT: ("agents their own", "mpo submit --mine"),
    Action.APPROVE: ("with auto_assign on, route them to people",
                     'mpo approve 3f2a91c0 7bd0 --note "go"'),
    Action.REJECT: ("", 'mpo reject 9c1e --reason-code duplicate --reason "same as 3f2a"'),
    Action.ASSIGN: ("", "mpo assign 3f2a --to ana"),
    Action.START: ("assigned to you if unassigned", "mpo start 3f2a"),
    Action.COMPLETE: ("", "mpo complete 3f2a --actual-hours 3.5"),
    Action.CANCEL: ("agents their own proposals",
                    'mpo cancel 9c1e --reason-code obsolete --reason "listing removed"'),
    Action.HEARTBEAT: ("refused once the lease ran out (exit 5)", "mpo heartbeat 3f2a --lease 15m"),
    Action.RELEASE: ("back to approved, unassigned", "mpo release 3f2a"),
}


def help_text(spec: ActionSpec) -> str:
    """A command's help from its declaration: the summary, where it leads, what the CLI
    adds, and the example (`Reject tasks ... (-> rejected, terminal).`)."""
    remark, example = USAGE[Action(spec.action)]
    terminal = ", terminal" if spec.target in TERMINAL else ""
    return (f"{spec.summary} (-> {spec.target}{terminal}){'; ' + remark if remark else ''}."
            f"\n\nExample: {example}")


def _command(spec: ActionSpec) -> None:
    """Add the command of one declared action: its options are the declaration's
    parameters, its help the declaration's summary."""
    action = Action(spec.action)

    def command(*, given: dict[str, Any], batch: BatchFlags, out: Output) -> None:
        _apply(action, batch, out, **given)

    command.__name__ = command.__qualname__ = spec.action
    app.command(spec.action, help=help_text(spec), rich_help_panel=PANEL)(
        output_options(fields.RESULT)(selection_options(action_options(spec)(command))))


for _spec in SPECS:
    if _spec.cli:
        _command(_spec)

"""`mpo wait`: block until tasks are decided, approved, completed or changed."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import output_options
from mpo.cli.output import Output, message
from mpo.core.domain import task_fields
from mpo.report import fields

app = typer.Typer()
GOALS = ("decided (approved or rejected: the status says which), approved (a rejection "
         "exits 9), completed or any-change")


@app.command(rich_help_panel="Events")
@output_options(fields.TASK)
def wait(
    ids: Annotated[list[str], typer.Argument(
        metavar="ID...", show_default=False, help="Task ids or unique prefixes; '-' reads stdin.",
        autocompletion=values.task_ids)],
    for_: Annotated[str, typer.Option(
        "--for", metavar="GOAL", help=f"What to wait for: {GOALS}.")] = "decided",
    timeout: Annotated[str | None, typer.Option(
        "--timeout", metavar="DURATION",
        help="Give up after this long: 90, 30s, 10m, 1h (default: wait for ever).")] = None,
    *,
    out: Output,
) -> None:
    """Wait until every task reaches a state, print the tasks; exit 0 reached, 9 never will
    (rejected when waiting for approved or completed; cancelled), 8 timed out, 7 interrupted.

    Nobody is asked to decide a pending task until it is submitted: wait on submitted ones.

    Example: mpo wait 3f2a --for decided --timeout 1h

    An agent, in one line:
    mpo create ... --submit --json | jq -r .id | xargs mpo wait --for approved --timeout 8h
    """
    from mpo.cli.options import _refs
    from mpo.core.domain import validation
    from mpo.core.domain.errors import Cancelled, Declined, TimedOut
    from mpo.core.usecases.waiting import Goal, Outcome, timeout_seconds, wait_for

    goal = Goal(validation.one_of("for", for_, [g.value for g in Goal]))
    seconds = None if timeout is None else timeout_seconds(timeout)
    app_ctx = current()
    db, actor = app_ctx.database, app_ctx.actor
    refs = _refs(ids)
    try:
        with db.waker() as waker:
            if sys.stderr.isatty():  # for a person; scripts get one line (an error) or none
                noun = "task" if len(refs) == 1 else "tasks"
                message(f"waiting for {len(refs)} {noun}: {goal} "
                        f"(timeout {timeout or 'none'}; Ctrl-C to stop)")
            result = wait_for(db, actor, waker, refs, goal, seconds, notice=message)
    except KeyboardInterrupt:
        raise Cancelled("wait: interrupted") from None
    out.rows(task_fields.task_row(t) for t in result.tasks)
    sys.stdout.flush()  # whoever waits on this process reads the answer at once
    if result.outcome is Outcome.DECLINED:
        declined = [f"{str(t.id)[:8]} is {t.status}" for t, o in
                    zip(result.tasks, result.outcomes, strict=True) if o is Outcome.DECLINED]
        raise Declined(f"wait: {', '.join(declined)}; it will never be {goal}")
    if result.outcome is Outcome.WAITING:
        raise TimedOut(f"wait: still waiting after {timeout} for {goal}")

"""The wait tool: block until tasks are decided, approved, completed or changed, for at
most a bounded time, reporting progress while it waits (`mpo wait`'s use case)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from mpo.core.domain import task_fields
from mpo.core.domain.errors import ValidationError
from mpo.core.domain.permissions import Verb
from mpo.core.domain.validation import one_of
from mpo.core.usecases.waiting import Goal
from mpo.mcp import schemas
from mpo.mcp.caller import Caller
from mpo.mcp.schemas import Schema
from mpo.mcp.tooling import Args, Document, Progress, Tool, roles_of

if TYPE_CHECKING:
    from mpo.core.usecases.waiting import Waited

#: Seconds a call waits unless told, and at most (a tool call holds a request open).
TIMEOUT, TIMEOUT_MAX = 60.0, 3600.0
#: Seconds between progress notifications while waiting.
EVERY = 5.0


def _block(caller: Caller, refs: tuple[str, ...], goal: Goal, seconds: float) -> Waited:
    from mpo.core.usecases.waiting import wait_for

    with caller.db.waker() as waker:
        return wait_for(caller.db, caller.actor, waker, refs, goal, seconds)


def _document(goal: Goal, result: Waited) -> Document:
    return {"goal": goal.value, "outcome": result.outcome.value,
            "tasks": [task_fields.task_row(t) | {"outcome": o.value}
                      for t, o in zip(result.tasks, result.outcomes, strict=True)]}


def _line(goal: Goal, result: Waited) -> str:
    states = ", ".join(f"{str(t.id)[:8]} is {t.status}" for t in result.tasks)
    return f"waiting for {goal}: {states}"


async def _wait(caller: Caller, args: Args, progress: Progress) -> Document:
    from mpo.core.usecases.waiting import Outcome

    refs = args.strings("ids")
    goal = Goal(one_of("for", args.get("for") or Goal.DECIDED.value, [g.value for g in Goal]))
    given = args.get("timeout", (int, float))
    seconds = TIMEOUT if given is None else float(given)
    if not 0 <= seconds <= TIMEOUT_MAX:
        raise ValidationError("timeout", f"must be >= 0 and <= {TIMEOUT_MAX:g} seconds, "
                              f"got {given!r}")
    start = anyio.current_time()
    if goal is not Goal.ANY_CHANGE:  # a first look: settled already, or say where they are
        first = await anyio.to_thread.run_sync(_block, caller, refs, goal, 0.0)
        if Outcome.WAITING not in first.outcomes or not seconds:
            return _document(goal, first)
        await progress(0.0, seconds, _line(goal, first))
    found: list[Waited | Exception] = []

    async def block() -> None:
        left = max(0.0, seconds - (anyio.current_time() - start))
        try:
            found.append(await anyio.to_thread.run_sync(_block, caller, refs, goal, left,
                                                        abandon_on_cancel=True))
        except Exception as exc:  # raised below, not wrapped in the task group's
            found.append(exc)
        tasks.cancel_scope.cancel()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(block)
        while True:
            await anyio.sleep(EVERY)
            waited = anyio.current_time() - start
            await progress(min(waited, seconds), seconds,
                           f"waiting for {goal}: {waited:.0f}s of {seconds:g}s")
    if isinstance(found[0], Exception):
        raise found[0]
    return _document(goal, found[0])


def _properties(rules: object) -> Schema:
    return {
        "ids": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1},
                "description": "Task ids or unique prefixes."},
        "for": schemas.one_of([g.value for g in Goal], "What to wait for (default decided)."),
        "timeout": {"type": "number", "minimum": 0, "maximum": TIMEOUT_MAX,
                    "default": TIMEOUT, "description": "Give up after this many seconds."},
    }


WAIT = Tool(
    "wait", roles_of(Verb.SHOW), tuple(r.value for r in roles_of(Verb.SHOW)),
    "Wait until every task reaches a state (decided: approved or rejected; approved; "
    "completed; any-change), at most `timeout` seconds, with progress notifications while "
    "waiting; `mpo wait`. A pending task is decided by nobody until it is submitted.",
    '{"goal", "outcome", "tasks": [each task\'s fields, its final "status" and its '
    '"outcome"]}. outcome "reached": every task got there; "declined": a task was rejected '
    'or cancelled and will never get there (its status says which); "waiting": the timeout '
    "passed first. None of these is an error.",
    _properties, ("ids",), _wait, read_only=True)

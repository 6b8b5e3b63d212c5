"""The task page: every field, the history from the audit log, the prediction, subtasks with
their checkpoints; approve a checkpoint, assign (with routing's suggestion), cancel.
Each form calls the one use case the CLI's command calls."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from mpo.core.domain.action_values import transition_params
from mpo.core.domain.permissions import Verb
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.decisions import apply_one
from mpo.core.usecases.subtasks import Step, take_step
from mpo.core.usecases.task_page import task_page
from mpo.http.deps import RulesDep, State
from mpo.http.web import csrf
from mpo.http.web.render import page, redirect
from mpo.http.web.sessions import Signed

router = APIRouter(prefix="/web/tasks", include_in_schema=False)
#: The task columns the page lists, in order.
FIELDS = ("id", "status", "marketplace", "category", "priority", "created_by", "created_at",
          "submitted_at", "estimated_hours", "actual_hours", "assigned_to", "assigned_by",
          "started_at", "completed_at", "approved_by", "approved_at", "rejected_by",
          "rejection_code", "rejection_reason", "cancellation_code", "cancellation_reason",
          "listing_id", "tags", "completion_notes")


@router.get("/{ref}")
async def show(request: Request, ref: str, who: Signed, state: State) -> Response:
    """One task, as the person may see it."""
    found = await run_in_threadpool(task_page, who.db, who.actor, ref,
                                    state.settings.routing_rules)
    task = found.task
    fields = [(name, getattr(task, name, None)) for name in FIELDS]
    return page(request, "task.html", person=who, view=found, t=task,
                fields=[(k, v) for k, v in fields if v not in (None, [], "")],
                cancel_codes=state.rules.cancel_codes,
                assign=who.may(Verb.ASSIGN) and task.status == "approved",
                cancel=who.may(Verb.CANCEL) and task.status not in (
                    "rejected", "completed", "cancelled"),
                review=who.may(Verb.REVIEW))


@router.post("/{ref}/assign")
async def assign(request: Request, ref: str, who: Signed, rules: RulesDep) -> Response:
    """`mpo assign REF --to NAME`."""
    fields = await csrf.form(request)
    csrf.check(request, fields, who.csrf)
    params = transition_params(rules, Action.ASSIGN, assignee=csrf.one(fields, "to"),
                               note=csrf.one(fields, "note"))
    task = await run_in_threadpool(apply_one, who.db, who.actor, Action.ASSIGN, ref, params,
                                   rules)
    return redirect(f"/web/tasks/{task.id}")


@router.post("/{ref}/cancel")
async def cancel(request: Request, ref: str, who: Signed, rules: RulesDep) -> Response:
    """`mpo cancel REF --reason-code CODE [--reason TEXT]`."""
    fields = await csrf.form(request)
    csrf.check(request, fields, who.csrf)
    params = transition_params(rules, Action.CANCEL, reason_code=csrf.one(fields, "reason_code"),
                               reason=csrf.one(fields, "reason"))
    task = await run_in_threadpool(apply_one, who.db, who.actor, Action.CANCEL, ref, params,
                                   rules)
    return redirect(f"/web/tasks/{task.id}")


@router.post("/{ref}/checkpoint/{subtask}")
async def checkpoint(request: Request, ref: str, subtask: str, who: Signed) -> Response:
    """`mpo subtask approve SUBTASK [--note TEXT]`: a checkpoint accepted."""
    fields = await csrf.form(request)
    csrf.check(request, fields, who.csrf)
    await run_in_threadpool(lambda: take_step(who.db, who.actor, Step.APPROVE, subtask,
                                              note=csrf.one(fields, "note")))
    return redirect(f"/web/tasks/{ref}")

"""My work (members): the tasks in progress assigned to me, to complete with the hours spent
and a note, and the approved tasks nobody has taken, to start. `mpo start`/`mpo complete`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from mpo.core.domain.action_values import transition_params
from mpo.core.domain.permissions import Verb
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.decisions import apply_one
from mpo.core.usecases.task_page import my_work
from mpo.http.deps import RulesDep
from mpo.http.web import csrf
from mpo.http.web.render import page, redirect
from mpo.http.web.sessions import Signed

router = APIRouter(prefix="/web/work", include_in_schema=False)


@router.get("")
async def work(request: Request, who: Signed, rules: RulesDep) -> Response:
    """The page."""
    found = await run_in_threadpool(my_work, who.db, who.actor, rules)
    return page(request, "work.html", person=who, work=found,
                start=who.may(Verb.START), complete=who.may(Verb.COMPLETE),
                done=request.query_params.get("done"))


@router.post("/{ref}/start")
async def start(request: Request, ref: str, who: Signed, rules: RulesDep) -> Response:
    """`mpo start REF`: take an approved task yourself."""
    fields = await csrf.form(request)
    csrf.check(request, fields, who.csrf)
    params = transition_params(rules, Action.START, note=csrf.one(fields, "note"))
    await run_in_threadpool(apply_one, who.db, who.actor, Action.START, ref, params, rules)
    return redirect("/web/work?done=started")


@router.post("/{ref}/complete")
async def complete(request: Request, ref: str, who: Signed, rules: RulesDep) -> Response:
    """`mpo complete REF --actual-hours H [--note TEXT]`."""
    fields = await csrf.form(request)
    csrf.check(request, fields, who.csrf)
    params = transition_params(rules, Action.COMPLETE,
                               actual_hours=csrf.one(fields, "actual_hours"),
                               note=csrf.one(fields, "note"))
    await run_in_threadpool(apply_one, who.db, who.actor, Action.COMPLETE, ref, params, rules)
    return redirect("/web/work?done=completed")

"""The approval queue (admins decide; others may read it): grouped, oldest first, with each
agent's approval rate and health band and each task's predicted effort; approve or reject
the selected tasks in one all-or-nothing batch, undo the last decision. The page's script
adds `mpo review`'s keys and reloads the list when the event stream says something changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from mpo.core.domain.clock import utcnow
from mpo.core.domain.errors import ValidationError
from mpo.core.domain.permissions import Verb
from mpo.core.domain.vocabulary import Action
from mpo.core.tables.models import Task
from mpo.core.usecases.queue_board import Board, board
from mpo.core.usecases.review import decide, waited
from mpo.core.usecases.undo import undo
from mpo.http.deps import RulesDep
from mpo.http.web import csrf
from mpo.http.web.render import page, redirect
from mpo.http.web.sessions import Signed

router = APIRouter(prefix="/web", include_in_schema=False)

#: How the queue can be grouped (`g` cycles them in `mpo review`).
GROUPINGS: dict[str, Callable[[Task], str]] = {
    "marketplace": lambda t: t.marketplace,
    "agent": lambda t: t.created_by,
    "listing": lambda t: t.listing_id or "(none)",
}


def _age(task: Task, now: datetime) -> str:
    hours = waited(task, now).total_seconds() / 3600
    if hours < 1:
        return f"{max(hours * 60, 0):.0f} min"
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} d"


def groups(found: Board, grouping: str, words: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """The tasks the filter lets through, by group, oldest first in each."""
    key, now = GROUPINGS[grouping], utcnow()
    terms = words.lower().split()
    shown: dict[str, list[dict[str, Any]]] = {}
    for t in sorted(found.queue.tasks, key=lambda t: (key(t), t.submitted_at or t.created_at)):
        hay = " ".join([str(t.id), t.title, t.description or "", *(t.tags or [])]).lower()
        if not all(w in hay for w in terms):
            continue
        rate = found.queue.rates.get(t.created_by)
        shown.setdefault(key(t), []).append({
            "task": t, "age": _age(t, now), "prediction": found.predictions.get(t.id),
            "rate": rate.share if rate else None, "decided": rate.decided if rate else 0,
            "band": found.bands.get(t.created_by, "unknown")})
    return list(shown.items())


def _grouping(request: Request) -> str:
    chosen = request.query_params.get("group", "marketplace")
    return chosen if chosen in GROUPINGS else "marketplace"


@router.get("/queue")
async def queue(request: Request, who: Signed, rules: RulesDep) -> Response:
    """The queue page (`?partial=1`: only the list, for the script's live refresh)."""
    found = await run_in_threadpool(board, who.db, who.actor, rules)
    grouping, words = _grouping(request), request.query_params.get("q", "")
    template = "queue_list.html" if request.query_params.get("partial") else "queue.html"
    return page(request, template, person=who, groups=groups(found, grouping, words),
                total=len(found.queue.tasks), grouping=grouping, groupings=list(GROUPINGS),
                words=words, codes=rules.rejection_codes, decide=who.may(Verb.APPROVE),
                undo=request.query_params.get("undo"), did=request.query_params.get("did"),
                count=request.query_params.get("n"))


def _ids(values: list[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in values]
    except ValueError:
        raise ValidationError("task", "must be task ids (UUIDs)") from None


@router.post("/queue/decide")
async def decide_(request: Request, who: Signed, rules: RulesDep) -> Response:
    """Approve or reject the selected tasks, all or nothing (`mpo approve`'s use case)."""
    fields = await csrf.form(request)
    csrf.check(request, fields, who.csrf)
    rejecting = csrf.one(fields, "action") == "reject"
    action = Action.REJECT if rejecting else Action.APPROVE
    ids, note = _ids(fields.get("task", [])), csrf.one(fields, "note")
    result = await run_in_threadpool(lambda: decide(
        who.db, who.actor, rules, action, ids,
        reason_code=csrf.one(fields, "reason_code") if rejecting else None,
        reason=note if rejecting else None, note=None if rejecting else note))
    done = "approved" if action is Action.APPROVE else "rejected"
    back = {"group": csrf.one(fields, "group") or "marketplace", "undo": str(result.batch_id),
            "did": done, "n": len(result.task_ids)}
    return redirect("/web/queue?" + urlencode(back))


@router.post("/queue/undo")
async def undo_(request: Request, who: Signed) -> Response:
    """Undo the last decision (`mpo undo BATCH_ID`'s use case): its tasks come back."""
    fields = await csrf.form(request)
    csrf.check(request, fields, who.csrf)
    batch = csrf.one(fields, "batch") or ""
    result = await run_in_threadpool(undo, who.db, who.actor, batch)
    return redirect("/web/queue?" + urlencode({"did": "undone", "n": len(result.items)}))

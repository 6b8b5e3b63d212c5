"""The dashboard: the numbers of `mpo stats --json` (pipeline, approvals per day, turnaround
and execution time, estimate accuracy, rejection reasons, agents' health, the oldest
waiting tasks) for a selectable number of days, from the one stats use case."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from mpo.core.usecases.stats import stats
from mpo.http.deps import RulesDep, State
from mpo.http.web.render import page
from mpo.http.web.sessions import Signed

router = APIRouter(prefix="/web", include_in_schema=False)
#: The day ranges offered; any other `?days=` falls back to the first.
RANGES = (7, 1, 14, 30, 90)


@router.get("/dashboard")
async def dashboard(request: Request, who: Signed, rules: RulesDep, state: State) -> Response:
    """The page for the last `?days=` days, by day (`?team=`: one team's marketplaces; a
    team's own people see theirs by default)."""
    asked = request.query_params.get("days", "")
    team = request.query_params.get("team") or None
    days = int(asked) if asked.isdigit() and int(asked) in RANGES else RANGES[0]
    report = await run_in_threadpool(lambda: stats(
        who.db, who.actor, rules, since=f"-{days}d", by="day",
        zone=state.settings.timezone, team=team))
    doc = report.document()
    peak = max([g["approved"] + g["rejected"] for g in doc["groups"]] + [1])
    return page(request, "dashboard.html", person=who, doc=doc, days=days,
                ranges=sorted(RANGES), peak=peak,
                team=team or who.actor.team)

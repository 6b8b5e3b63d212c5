"""`GET /api/v1/stats`: the same JSON document as `mpo stats --json`; `GET /api/v1/workflow`:
the lifecycle in force (`mpo workflow show`)."""

from __future__ import annotations

from fastapi import APIRouter

from mpo.core.usecases.stats import stats as compute
from mpo.http.deps import Auth, RulesDep, State
from mpo.http.problems import V1_RESPONSES
from mpo.http.render import JSON
from mpo.http.routers.params import Many, split

router = APIRouter(prefix="/api/v1", tags=["stats"])


@router.get("/stats", responses=V1_RESPONSES)
def stats(who: Auth, rules: RulesDep, state: State, since: str | None = None,
          until: str | None = None, day: str | None = None, tz: str | None = None,
          marketplace: Many = None, by: str | None = None,
          backlog_age: str | None = None, team: str | None = None) -> JSON:
    """Pipeline, approval, execution and estimate metrics for a window (docs/stats.md);
    `team`: that team's marketplaces only (a team's own people: theirs by default)."""
    report = compute(who.db, who.actor, rules, since=since, until=until, day=day,
                     zone=tz or state.settings.timezone, marketplaces=split(marketplace),
                     by=by, backlog_age=backlog_age, team=team)
    return JSON(report.document())


@router.get("/workflow", responses=V1_RESPONSES)
def workflow(who: Auth) -> JSON:
    """`mpo workflow show --json`: the statuses in path order, custom ones with who may
    move a task in and out, and the actions that leave each."""
    from mpo.core.usecases.workflow_apply import show_workflow

    lifecycle, states = show_workflow(who.db, who.actor)
    return JSON({"statuses": list(lifecycle.statuses),
                 "states": [s.document() for s in states],
                 "actions": sorted({(s.action, source, s.target)
                                    for s in lifecycle.actions.values()
                                    for source in s.sources})})

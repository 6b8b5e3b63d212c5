"""`GET /api/v1/stats`: the same JSON document as `mpo stats --json`."""

from __future__ import annotations

from fastapi import APIRouter

from mpo.core.stats import stats as compute
from mpo.http.deps import Auth, RulesDep, State
from mpo.http.problems import V1_RESPONSES
from mpo.http.render import JSON
from mpo.http.routers.params import Many, split

router = APIRouter(prefix="/api/v1", tags=["stats"])


@router.get("/stats", responses=V1_RESPONSES)
def stats(who: Auth, rules: RulesDep, state: State, since: str | None = None,
          until: str | None = None, day: str | None = None, tz: str | None = None,
          marketplace: Many = None, by: str | None = None,
          backlog_age: str | None = None) -> JSON:
    """Pipeline, approval, execution and estimate metrics for a window (docs/stats.md)."""
    report = compute(who.db, who.actor, rules, since=since, until=until, day=day,
                     zone=tz or state.settings.timezone, marketplaces=split(marketplace),
                     by=by, backlog_age=backlog_age)
    return JSON(report.document())

"""Tools over reports: status (agents, queue, alerts), stats (a window's numbers) and
estimate (predicted actual hours), each the JSON document its command prints."""

from __future__ import annotations

from mpo.core.domain.permissions import Verb
from mpo.core.domain.validation import Rules
from mpo.mcp import schemas
from mpo.mcp.caller import Caller
from mpo.mcp.schemas import Schema
from mpo.mcp.tooling import Args, Document, tool


def status_document(caller: Caller, team: str | None = None) -> Document:
    """`mpo status --json` (the `mpo://status` resource too); `team`: `--team`."""
    from mpo.core.usecases.status import Thresholds, status

    s = caller.settings
    return status(caller.db, caller.actor, zone=s.timezone, limits=Thresholds(
        s.alert_awaiting_over, s.alert_silent_hours, s.alert_stale_days),
        team=team).document()


#: The `team` argument of the report tools (`--team`).
TEAM: Schema = {"team": {"type": "string", "description": "Only this team's marketplaces "
                         "(a team's own people see theirs by default)."}}


STATUS = tool(
    "status", Verb.STATUS, "Each agent's activity and health, the queue, and alerts; "
    "`mpo status`.", 'The document of `mpo status --json`: "agents", "queue", "alerts" '
    "(an empty list when nothing needs attention).",
    lambda rules: dict(TEAM), lambda caller, args: status_document(caller, args.get("team")),
    read_only=True)


def _stats(caller: Caller, args: Args) -> Document:
    from mpo.core.usecases.stats import stats

    return stats(caller.db, caller.actor, caller.rules, since=args.get("since"),
                 until=args.get("until"), day=args.get("day"),
                 zone=args.get("tz") or caller.settings.timezone,
                 marketplaces=args.strings("marketplace"), by=args.get("by"),
                 backlog_age=args.get("backlog_age"), team=args.get("team")).document()


def _stats_properties(rules: Rules) -> Schema:
    from mpo.core.domain.stats_query import DEFAULT_BACKLOG_AGE, By

    return {
        "since": {"type": "string", "description": "Window start: ISO date/time, -7d ..."},
        "until": {"type": "string", "description": "Window end."},
        "day": {"type": "string", "description": "One calendar day (instead of since/until)."},
        "tz": {"type": "string", "description": "Time zone of the window's days."},
        "marketplace": schemas.many(schemas.marketplaces(rules, ""), "Marketplaces."),
        "by": schemas.one_of([b.value for b in By], "Group agents' numbers by this."),
        "backlog_age": {"type": "string", "description": "Backlog older than this counts as "
                        f"stale (default {DEFAULT_BACKLOG_AGE})."},
        **TEAM,
    }


STATS = tool(
    "stats", Verb.STATS, "Pipeline, approval, execution and estimate metrics for a window; "
    "`mpo stats` (docs/stats.md).", "The document of `mpo stats --json`.",
    _stats_properties, _stats, read_only=True)


def _estimate(caller: Caller, args: Args) -> Document:
    from mpo.core.domain.errors import UsageError
    from mpo.core.usecases.predictions import estimate_draft, estimate_task

    ref = args.get("id")
    described = {k: args.get(k, (int, float) if k == "estimated_hours" else str)
                 for k in ("marketplace", "category", "estimated_hours", "created_by")}
    if ref is not None:
        if any(v is not None for v in described.values()):
            raise UsageError("estimate: give an id or marketplace/category/estimated_hours, "
                             "not both")
        task, found = estimate_task(caller.db, caller.actor, ref)
        extra: Document = {"id": str(task.id)}
    else:
        if described["category"] is None or described["estimated_hours"] is None:
            raise UsageError("estimate: give an id, or category and estimated_hours (and "
                             "marketplace unless you are that marketplace's agent)")
        found = estimate_draft(caller.db, caller.actor, caller.rules,
                               marketplace=described["marketplace"],
                               category=described["category"],
                               estimated_hours=described["estimated_hours"],
                               agent=described["created_by"])
        extra = {}
    return extra | {"prediction": None if found is None else found.as_dict()}


def _estimate_properties(rules: Rules) -> Schema:
    draft = schemas.draft(rules)
    return {"id": {"type": "string", "minLength": 1, "description":
                   "A task id or unique prefix; or describe a task not yet created."},
            **{k: draft[k] for k in ("marketplace", "category", "estimated_hours",
                                     "created_by")}}


ESTIMATE = tool(
    "estimate", Verb.SHOW, "Predict a task's actual hours from similar completed tasks, "
    "with a p10-p90 interval; `mpo estimate`.",
    '{"prediction": {predicted_hours, p10_hours, p90_hours, n, ...}} (and "id" for a '
    'stored task); "prediction": null when fewer completed tasks than needed to learn from.',
    _estimate_properties, _estimate, read_only=True)

TOOLS = (STATUS, STATS, ESTIMATE)

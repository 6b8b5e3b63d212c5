"""`POST /api/v1/tasks/{verb}` for submit, approve, reject, assign, start and complete:
the CLI's batch verbs (ids or filters, all or nothing unless skip_invalid, dry runs)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from mpo.core.selection import Selection
from mpo.core.transitions import transition
from mpo.core.validation import transition_params
from mpo.core.vocabulary import Action
from mpo.http.deps import Auth, RulesDep, State
from mpo.http.problems import V1_RESPONSES
from mpo.http.render import JSON
from mpo.http.routers.params import split
from mpo.http.schemas import Approve, Assign, Batch, Complete, Reject, Start, Submit
from mpo.report import fields

router = APIRouter(prefix="/api/v1/tasks", tags=["lifecycle"])

#: Each verb's body, and the names the core's transition values have in it.
VERBS: dict[Action, tuple[type[Batch], dict[str, str]]] = {
    Action.SUBMIT: (Submit, {}),
    Action.APPROVE: (Approve, {"note": "note"}),
    Action.REJECT: (Reject, {"reason_code": "reason_code", "reason": "reason"}),
    Action.ASSIGN: (Assign, {"to": "assignee", "note": "note"}),
    Action.START: (Start, {"note": "note"}),
    Action.COMPLETE: (Complete, {"actual_hours": "actual_hours", "note": "note"}),
}


def _route(action: Action, model: type[Batch], names: dict[str, str]) -> Callable[..., JSON]:
    def endpoint(body: Batch, who: Auth, rules: RulesDep, state: State) -> JSON:
        given = {core: getattr(body, key) for key, core in names.items()}
        selection = Selection(refs=tuple(body.ids), marketplaces=split(body.marketplace),
                              priorities=split(body.priority), categories=split(body.category),
                              created_by=split(body.created_by), all=body.all)
        result = transition(who.db, who.actor, action, selection,
                            transition_params(rules, **given), rules, dry_run=body.dry_run,
                            skip_invalid=body.skip_invalid)
        if action in (Action.APPROVE, Action.REJECT) and not result.dry_run:
            state.metrics.tasks_decided.labels(action.value).inc(len(result.task_ids))
        return JSON({"action": action.value, "batch_id": None if result.dry_run else
                     str(result.batch_id), "dry_run": result.dry_run,
                     "changed": len(result.task_ids), "results": fields.result_rows(result)})

    endpoint.__annotations__ = {**endpoint.__annotations__, "body": model}
    endpoint.__name__ = action.value
    endpoint.__doc__ = f"`mpo {action.value}`: {model.__doc__}"
    return endpoint


for _action, (_model, _names) in VERBS.items():
    router.add_api_route(f"/{_action.value}", _route(_action, _model, _names), methods=["POST"],
                         responses=V1_RESPONSES, name=_action.value)

"""`POST /api/v1/tasks/{action}` for every action of the lifecycle's declaration (submit,
approve, reject, assign, start, complete, cancel), `POST /api/v1/tasks/move` (custom
workflows) and `POST /api/v1/tasks/undo`: the CLI's
batch verbs (ids or filters, all or nothing unless skip_invalid, dry runs), each one call
of the use case the CLI calls. A verb declared in `core/domain/lifecycle.py` appears here."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from mpo.core.domain.action_values import transition_params
from mpo.core.domain.lifecycle import MOVE, SPECS, ActionSpec
from mpo.core.domain.selection import Selection
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.transitions import transition
from mpo.core.usecases.undo import undo
from mpo.http.deps import Auth, RulesDep, State
from mpo.http.problems import V1_RESPONSES
from mpo.http.render import JSON
from mpo.http.routers.params import split
from mpo.http.schemas import Batch, Move, Undo, verb_body
from mpo.report.fields import batch_document as answer

router = APIRouter(prefix="/api/v1/tasks", tags=["lifecycle"])


def _route(spec: ActionSpec, model: type[Batch]) -> Callable[..., JSON]:
    names = {p.field.replace("-", "_"): p.name for p in spec.params}

    def endpoint(body: Batch, who: Auth, rules: RulesDep, state: State) -> JSON:
        given = {core: getattr(body, key) for key, core in names.items()}
        selection = Selection(refs=tuple(body.ids), marketplaces=split(body.marketplace),
                              priorities=split(body.priority), categories=split(body.category),
                              created_by=split(body.created_by), all=body.all)
        result = transition(who.db, who.actor, spec.action, selection,
                            transition_params(rules, spec.action, **given), rules,
                            dry_run=body.dry_run, skip_invalid=body.skip_invalid)
        if spec.not_by_proposer and not result.dry_run:
            state.metrics.tasks_decided.labels(spec.action).inc(len(result.task_ids))
        return JSON(answer(result))

    endpoint.__annotations__ = {**endpoint.__annotations__, "body": model}
    endpoint.__name__ = spec.action
    endpoint.__doc__ = model.__doc__
    return endpoint


for _spec in SPECS:
    router.add_api_route(f"/{_spec.action}", _route(_spec, verb_body(_spec)), methods=["POST"],
                         responses=V1_RESPONSES, name=_spec.action)


@router.post("/move", responses=V1_RESPONSES, name=MOVE)
def move(body: Move, who: Auth, rules: RulesDep) -> JSON:
    """`mpo move`: move tasks into a custom workflow's state, or back out of it
    (`GET /api/v1/workflow` lists the statuses); `to` is required."""
    selection = Selection(refs=tuple(body.ids), marketplaces=split(body.marketplace),
                          priorities=split(body.priority), categories=split(body.category),
                          created_by=split(body.created_by), all=body.all)
    params = transition_params(rules, MOVE, to=body.to, note=body.note)
    return JSON(answer(transition(who.db, who.actor, MOVE, selection, params, rules,
                                  dry_run=body.dry_run, skip_invalid=body.skip_invalid)))


@router.post("/undo", responses=V1_RESPONSES, name=Action.UNDO.value)
def undo_(body: Undo, who: Auth) -> JSON:
    """`mpo undo`: put each task of a batch (or one event) back where it was, all or
    nothing; only an admin other than a task's proposer may undo its decision."""
    return JSON(answer(undo(who.db, who.actor, body.ref, dry_run=body.dry_run)))

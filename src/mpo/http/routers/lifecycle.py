"""`POST /api/v1/tasks/{action}` for every action of the lifecycle's declaration (submit,
approve, reject, assign, start, complete, cancel, heartbeat, release, note), `POST
/api/v1/tasks/claim`, `POST /api/v1/tasks/move` (custom workflows) and `POST
/api/v1/tasks/undo`: the CLI's
batch verbs (ids or filters, all or nothing unless skip_invalid, dry runs), each one call
of the use case the CLI calls. A verb declared in `core/domain/lifecycle.py` appears here.

Each takes an `Idempotency-Key` header: a retry of the same request answers the first
result (status 200, `Idempotent-Replayed: true`); another request under that key is a 409."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from mpo.core.domain import task_fields
from mpo.core.domain.action_values import lease_seconds, transition_params
from mpo.core.domain.lifecycle import MOVE, SPECS, ActionSpec
from mpo.core.domain.results import BatchResult
from mpo.core.domain.selection import Selection
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.claims import claim, claim_query
from mpo.core.usecases.transitions import transition
from mpo.core.usecases.undo import undo
from mpo.core.usecases.waiting import timeout_seconds
from mpo.http.deps import Auth, RulesDep, State
from mpo.http.problems import V1_RESPONSES
from mpo.http.render import JSON
from mpo.http.routers.params import Key, split
from mpo.http.schemas import Batch, Claim, Move, Undo, verb_body
from mpo.report.fields import batch_document as answer

router = APIRouter(prefix="/api/v1/tasks", tags=["lifecycle"])


def answered(result: BatchResult) -> JSON:
    """The response of a batch verb; a replayed first result says so in a header."""
    return JSON(answer(result), headers={REPLAYED: "true"} if result.replayed else None)


#: The header a response replayed from an idempotency key carries (as Stripe's API does).
REPLAYED = "Idempotent-Replayed"


def _route(spec: ActionSpec, model: type[Batch]) -> Callable[..., JSON]:
    names = {p.field.replace("-", "_"): p.name for p in spec.params}

    def endpoint(body: Batch, who: Auth, rules: RulesDep, state: State,
                 idempotency_key: Key = None) -> JSON:
        given = {core: getattr(body, key) for key, core in names.items()}
        selection = Selection(refs=tuple(body.ids), marketplaces=split(body.marketplace),
                              priorities=split(body.priority), categories=split(body.category),
                              created_by=split(body.created_by), all=body.all)
        result = transition(who.db, who.actor, spec.action, selection,
                            transition_params(rules, spec.action, **given), rules,
                            dry_run=body.dry_run, skip_invalid=body.skip_invalid,
                            idempotency_key=idempotency_key)
        if spec.not_by_proposer and not result.dry_run and not result.replayed:
            state.metrics.tasks_decided.labels(spec.action).inc(len(result.task_ids))
        return answered(result)

    endpoint.__annotations__ = {**endpoint.__annotations__, "body": model}
    endpoint.__name__ = spec.action
    endpoint.__doc__ = model.__doc__
    return endpoint


for _spec in (s for s in SPECS if s.http):
    router.add_api_route(f"/{_spec.action}", _route(_spec, verb_body(_spec)), methods=["POST"],
                         responses=V1_RESPONSES, name=_spec.action)


@router.post("/claim", responses=V1_RESPONSES, name=Action.CLAIM.value)
def claim_(body: Claim, who: Auth, rules: RulesDep) -> JSON:
    """`mpo claim`: take the next approved, unassigned task you may execute, with a lease;
    404 when nothing is free (after `wait`, if given: the exit code says which)."""
    query = claim_query(rules, who.actor, marketplaces=split(body.marketplace),
                        categories=split(body.category), tags=tuple(body.tag),
                        order=body.order)
    lease = lease_seconds("lease", body.lease)
    if body.wait is None:
        task = claim(who.db, who.actor, query, lease=lease)
    else:
        with who.db.waker() as waker:
            task = claim(who.db, who.actor, query, lease=lease,
                         wait=timeout_seconds(body.wait), waker=waker)
    return JSON(task_fields.task_row(task))


@router.post("/move", responses=V1_RESPONSES, name=MOVE)
def move(body: Move, who: Auth, rules: RulesDep, idempotency_key: Key = None) -> JSON:
    """`mpo move`: move tasks into a custom workflow's state, or back out of it
    (`GET /api/v1/workflow` lists the statuses); `to` is required."""
    selection = Selection(refs=tuple(body.ids), marketplaces=split(body.marketplace),
                          priorities=split(body.priority), categories=split(body.category),
                          created_by=split(body.created_by), all=body.all)
    params = transition_params(rules, MOVE, to=body.to, note=body.note)
    return answered(transition(who.db, who.actor, MOVE, selection, params, rules,
                               dry_run=body.dry_run, skip_invalid=body.skip_invalid,
                               idempotency_key=idempotency_key))


@router.post("/undo", responses=V1_RESPONSES, name=Action.UNDO.value)
def undo_(body: Undo, who: Auth, idempotency_key: Key = None) -> JSON:
    """`mpo undo`: put each task of a batch (or one event) back where it was, all or
    nothing; only an admin other than a task's proposer may undo its decision."""
    return answered(undo(who.db, who.actor, body.ref, dry_run=body.dry_run,
                         idempotency_key=idempotency_key))

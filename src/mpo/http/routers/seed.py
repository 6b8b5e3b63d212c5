"""The seed's five endpoints (`/api/orchestration/tasks...`), camelCase as its README shows
them, with its bugs fixed where clients cannot depend on them (see docs/api.md). Every
write takes an `Idempotency-Key` header, as mpo's own API does."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from mpo.core.domain.action_values import transition_params
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.vocabulary import Action
from mpo.core.domain.wellformed import COUNT_MAX
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.decisions import apply_one, decide, seed_params
from mpo.core.usecases.listing import list_page
from mpo.http.deps import Auth, Limits, RulesDep, State
from mpo.http.problems import SEED_RESPONSES
from mpo.http.render import JSON, seed_task
from mpo.http.routers.params import Key
from mpo.http.schemas import SeedApprove, SeedAssign, SeedComplete, SeedCreate

router = APIRouter(prefix="/api/orchestration/tasks", tags=["seed"])
SEED_LIMIT, SEED_MAX_LIMIT = 50, 100


@router.post("", status_code=201, responses=SEED_RESPONSES)
def create(body: SeedCreate, who: Auth, rules: RulesDep, limits: Limits, state: State,
           idempotency_key: Annotated[str | None, Header()] = None) -> JSON:
    """Create a task (pending), as a marketplace agent: `createdBy` must be the caller."""
    raw = body.model_dump(exclude_unset=True)
    if idempotency_key is not None:
        raw["idempotency_key"] = idempotency_key
    result = create_tasks(who.db, who.actor, [("task", raw)], rules, limits=limits)
    task = result.tasks[0].task
    state.metrics.tasks_created.labels(task.marketplace).inc(int(result.tasks[0].created))
    row = seed_task(task)
    return JSON({**row, "success": True, "task": row,
                 "message": "Task created and awaiting approval"}, 201)


@router.get("", responses=SEED_RESPONSES)
def list_(who: Auth, rules: RulesDep,
          status: str | None = None, marketplace: str | None = None,
          listing_id: str | None = None,
          limit: Annotated[int, Query(ge=1)] = SEED_LIMIT,
          offset: Annotated[int, Query(ge=0, le=COUNT_MAX)] = 0) -> JSON:
    """List tasks, newest first: `count` is the total matching, not the page size."""
    limit = min(limit, SEED_MAX_LIMIT)
    query = TaskQuery(statuses=_one(status), marketplaces=_one(marketplace),
                      listing_ids=_one(listing_id), limit=limit, offset=offset)
    page = list_page(who.db, who.actor, query, rules, count=True)
    return JSON({"tasks": [seed_task(t) for t in page.tasks], "count": page.total,
                 "offset": offset, "limit": limit})


@router.patch("/approve", responses=SEED_RESPONSES)
def approve(body: SeedApprove, who: Auth, rules: RulesDep, state: State,
            idempotency_key: Key = None) -> JSON:
    """Approve or reject tasks, all or nothing; pending ones are submitted first."""
    action = Action.APPROVE if body.approved else Action.REJECT
    result = decide(who.db, who.actor, action, body.taskIds,
                    seed_params(rules, action, body.reason), rules,
                    idempotency_key=idempotency_key)
    if not result.replayed:
        state.metrics.tasks_decided.labels(action.value).inc(len(result.items))
    return JSON({"success": True, "message": f"Tasks {'approved' if body.approved else 'rejected'}",
                 "count": len(result.items), "tasks": [seed_task(i.task) for i in result.items],
                 "batchId": str(result.batch_id)})


@router.patch("/assign", responses=SEED_RESPONSES)
def assign(body: SeedAssign, who: Auth, rules: RulesDep, idempotency_key: Key = None) -> JSON:
    """Assign an approved task to a team member (it moves to in_progress)."""
    task = apply_one(who.db, who.actor, Action.ASSIGN, body.taskId,
                     transition_params(rules, Action.ASSIGN, assignee=body.assignedTo), rules,
                     idempotency_key=idempotency_key)
    return JSON({"success": True, "message": "Task assigned successfully",
                 "task": seed_task(task), "assignedAt": task.started_at})


@router.patch("/complete", responses=SEED_RESPONSES)
def complete(body: SeedComplete, who: Auth, rules: RulesDep, idempotency_key: Key = None
             ) -> JSON:
    """Complete a task in progress (its assignee or an admin); accuracy is 0-100."""
    task = apply_one(who.db, who.actor, Action.COMPLETE, body.taskId,
                     transition_params(rules, Action.COMPLETE, actual_hours=body.actualHours,
                                       note=body.notes),
                     rules, idempotency_key=idempotency_key)
    row = seed_task(task)
    return JSON({"success": True, "message": "Task completed successfully", "task": row,
                 "stats": {"estimatedHours": row["estimatedHours"],
                           "actualHours": row["actualHours"], "accuracy": row["accuracy"],
                           "completedAt": row["completedAt"]}})


def _one(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())

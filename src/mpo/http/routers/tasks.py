"""`/api/v1/tasks`: create (one JSON object, or many as NDJSON), list with cursors, show."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from mpo.core.domain import task_fields, wellformed
from mpo.core.domain.errors import UsageError, ValidationError
from mpo.core.domain.ndjson import ndjson
from mpo.core.domain.paging import PAGE, PAGE_MAX, decode
from mpo.core.domain.selection import TaskQuery
from mpo.core.usecases.create import Item, create_tasks
from mpo.core.usecases.listing import list_page
from mpo.core.usecases.reads import show_task
from mpo.http.deps import Auth, Limits, RulesDep, State
from mpo.http.middleware import BULK_TYPE
from mpo.http.problems import V1_RESPONSES, BadRequest
from mpo.http.render import JSON
from mpo.http.routers.params import Many, instant, split
from mpo.http.schemas import TaskIn

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])
LIMIT, MAX_LIMIT = PAGE, PAGE_MAX
_CREATE_BODY = {
    "requestBody": {"required": True, "content": {
        "application/json": {"schema": TaskIn.model_json_schema()},
        BULK_TYPE: {"schema": {"type": "string",
                               "description": "One task object per line (NDJSON)."}}}}}


@router.post("", status_code=201, responses=V1_RESPONSES, openapi_extra=_CREATE_BODY)
async def create(request: Request, who: Auth, rules: RulesDep, limits: Limits, state: State,
                 idempotency_key: Annotated[str | None, Header()] = None,
                 skip_invalid: bool = False, submit: bool = False,
                 dry_run: bool = False) -> JSON:
    """Create a task from a JSON object, or many from NDJSON in one transaction.

    `Idempotency-Key` (one task only): the same key and content returns the existing task
    (`created: false`, status 200); the same key with other content is a 409. `submit=true`
    submits the new tasks in the same transaction and batch (`awaiting_approval`);
    `dry_run=true` validates and answers what would be stored (`id` null, status 200),
    writing nothing.
    """
    await run_in_threadpool(who.resolve)  # a refused caller learns it before any 400
    body = await request.body()
    bulk = request.headers.get("content-type", "").split(";")[0].strip() == BULK_TYPE
    items: list[Item]
    if bulk:
        if idempotency_key is not None:
            raise UsageError("Idempotency-Key: give idempotency_key on each NDJSON line")
        items = list(ndjson(wellformed.decode("body", body).splitlines()))
    else:
        raw = _object(body)
        if idempotency_key is not None:
            raw["idempotency_key"] = idempotency_key
        items = [("task", raw)]
    result = await run_in_threadpool(create_tasks, who.db, who.actor, items, rules,
                                     skip_invalid=bulk and skip_invalid, limits=limits,
                                     submit=submit, dry_run=dry_run)
    rows = [task_fields.task_row(c.task) | {"created": c.created} for c in result.tasks]
    for row in rows if not dry_run else ():
        state.metrics.tasks_created.labels(row["marketplace"]).inc(int(row["created"]))
    made = 201 if not dry_run else 200
    if not bulk:
        return JSON(rows[0], made if rows[0]["created"] else 200)
    skipped = [{"item": p.item, "reason": p.reason, "exit_code": int(p.exit_code)}
               for p in result.skipped]
    return JSON({"batch_id": None if dry_run else str(result.batch_id), "tasks": rows,
                 "skipped": skipped}, made)


def _object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object: I-JSON (no lone surrogates, bounded depth and numbers)."""
    try:
        value = wellformed.loads("body", wellformed.decode("body", body))
    except ValidationError as exc:
        raise BadRequest(f"malformed JSON: {exc.message}") from None
    if not isinstance(value, dict):
        raise ValidationError("body", "must be a JSON object (or NDJSON with "
                                      f"Content-Type: {BULK_TYPE})")
    return value


@router.get("", responses=V1_RESPONSES)
def list_(who: Auth, rules: RulesDep, state: State,
          status: Many = None, marketplace: Many = None, priority: Many = None,
          category: Many = None, created_by: Many = None, assigned_to: Many = None,
          since: str | None = None, until: str | None = None,
          limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = LIMIT,
          cursor: str | None = None, oldest_first: bool = False) -> JSON:
    """List tasks, newest first, a page at a time: pass `next_cursor` back as `cursor`."""
    zone = state.settings.timezone
    query = TaskQuery(
        statuses=split(status), marketplaces=split(marketplace), priorities=split(priority),
        categories=split(category), created_by=split(created_by),
        assigned_to=split(assigned_to), since=instant("since", since, zone),
        until=instant("until", until, zone), limit=limit, newest_first=not oldest_first,
        after=decode(cursor) if cursor else None)
    page = list_page(who.db, who.actor, query, rules, count=True)
    return JSON({"tasks": [task_fields.task_row(t) for t in page.tasks], "total": page.total,
                 "next_cursor": page.next_cursor.encode() if page.next_cursor else None})


@router.get("/{task_id}", responses=V1_RESPONSES)
def show(task_id: str, who: Auth) -> JSON:
    """One task (id or unique prefix) with its history, oldest event first."""
    task, events = show_task(who.db, who.actor, task_id)
    history = [task_fields.event_row(e) for e in events]
    return JSON(task_fields.task_row(task) | {"history": history})

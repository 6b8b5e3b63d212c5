"""`GET /api/v1/log`: the audit trail, as `mpo log`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from mpo.core.domain import task_fields
from mpo.core.usecases.reads import list_events
from mpo.http.deps import Auth, State
from mpo.http.problems import V1_RESPONSES
from mpo.http.render import JSON
from mpo.http.routers.params import Many, instant, split

router = APIRouter(prefix="/api/v1", tags=["log"])


@router.get("/log", responses=V1_RESPONSES)
def log(who: Auth, state: State, task: str | None = None, actor: str | None = None,
        action: Many = None, batch: str | None = None, marketplace: str | None = None,
        since: str | None = None,
        limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
        archived: bool = False) -> JSON:
    """Audit events, oldest first (the newest `limit` when given); `archived`: the
    archived log too (`mpo archive`)."""
    events = list_events(who.db, who.actor, task_ref=task, by=actor, actions=split(action),
                         batch=batch, since=instant("since", since, state.settings.timezone),
                         marketplace=marketplace, limit=limit, archived=archived)
    return JSON({"events": [task_fields.event_row(e) for e in events]})

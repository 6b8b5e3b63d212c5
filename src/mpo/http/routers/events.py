"""`GET /api/v1/events`: the audit stream as Server-Sent Events, as `mpo watch`.

Each frame's `id:` is the event id; a client that reconnects sends the last one it read as
`Last-Event-ID` and gets exactly the events after it (else `?since=ID`, else from now).
Agents see their own marketplace's events only, as everywhere in /api/v1. The filters are
checked before the stream starts, so a bad one is an RFC 9457 problem, not a broken stream.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import ExitStack
from threading import Event
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from mpo.core.domain import validation
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.vocabulary import Action
from mpo.core.domain.wellformed import COUNT_MAX
from mpo.delivery.sse import frames, last_event_id
from mpo.http.deps import Auth, RulesDep, State
from mpo.http.problems import V1_RESPONSES
from mpo.http.routers.params import Many, split
from mpo.http.streams import EventStream, ended

router = APIRouter(prefix="/api/v1", tags=["events"])

STREAM: dict[int | str, dict[str, Any]] = {200: {
    "description": "A `text/event-stream` of audit events, one frame each.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}}}}


@router.get("/events", responses=V1_RESPONSES | STREAM, response_class=StreamingResponse)
def events(
    who: Auth, rules: RulesDep, state: State,
    last_event: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    since: Annotated[int | None, Query(ge=0, le=COUNT_MAX)] = None,
    status: Many = None, marketplace: Many = None, priority: Many = None,
    category: Many = None, created_by: Many = None, assigned_to: Many = None,
    action: Many = None,
    idle: Annotated[float, Query(ge=0.05, le=60)] = 15.0,
) -> StreamingResponse:
    """Server-Sent Events of the audit stream after `Last-Event-ID` (or `since`, else from
    now), filtered like `mpo watch`; an idle stream sends a keep-alive comment every `idle`
    seconds."""
    query = TaskQuery(statuses=split(status), marketplaces=split(marketplace),
                      priorities=split(priority), categories=split(category),
                      created_by=split(created_by), assigned_to=split(assigned_to))
    actions = split(action)
    for name in actions:
        validation.one_of("action", name, [a.value for a in Action])
    resumed = last_event_id(last_event)
    after = resumed if resumed is not None else since
    held, gone = ExitStack(), Event()
    done = ended(gone, state.stopping)
    try:
        waker = held.enter_context(who.db.waker(done))  # before the first read: nothing missed
        body: Generator[str, None, None] = frames(
            who.db, who.actor, waker, query, rules, after_id=after, actions=actions, idle=idle)
        first = next(body)  # checks the filters and the permission, before any byte is sent
    except BaseException:
        held.close()
        raise

    def stream() -> Iterator[str]:
        try:
            yield first
            for frame in body:
                if done():  # the client reconnects with Last-Event-ID: nothing is lost
                    return
                yield frame
        finally:
            body.close()
            held.close()

    return EventStream(stream(), gone)

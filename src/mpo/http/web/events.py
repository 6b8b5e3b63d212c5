"""`GET /web/events`: the audit stream for a signed-in page, as `GET /api/v1/events` gives
it to a token (`mpo.delivery.sse.frames`); the queue's script reloads its list on each."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse

from mpo.core.domain.selection import TaskQuery
from mpo.delivery.sse import frames, last_event_id
from mpo.http.deps import RulesDep
from mpo.http.web.sessions import Signed

_PLAIN = re.compile(r"^event: .*\n", re.MULTILINE)
router = APIRouter(prefix="/web", include_in_schema=False)


@router.get("/events")
def events(who: Signed, rules: RulesDep,
           last_event: Annotated[str | None, Header(alias="Last-Event-ID")] = None
           ) -> StreamingResponse:
    """Every event the person may see, from now (or after `Last-Event-ID`)."""
    held = ExitStack()
    try:
        waker = held.enter_context(who.db.waker())  # before the first read: nothing missed
        body: Generator[str, None, None] = frames(
            who.db, who.actor, waker, TaskQuery(), rules, after_id=last_event_id(last_event),
            idle=15.0)
        first = next(body)
    except BaseException:
        held.close()
        raise

    def stream() -> Iterator[str]:
        try:
            yield first
            for frame in body:  # one kind of message: the page only needs to know when
                yield _PLAIN.sub("", frame)
        finally:
            body.close()
            held.close()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

"""`GET /web/events`: the audit stream for a signed-in page, as `GET /api/v1/events` gives
it to a token (`mpo.delivery.sse.frames`); the queue's script reloads its list on each."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from threading import Event
from typing import Annotated

from fastapi import APIRouter, Header

from mpo.core.domain.selection import TaskQuery
from mpo.delivery.sse import frames, last_event_id
from mpo.http.deps import RulesDep, State
from mpo.http.streams import EventStream, ended
from mpo.http.web.sessions import Signed

_PLAIN = re.compile(r"^event: .*\n", re.MULTILINE)
router = APIRouter(prefix="/web", include_in_schema=False)


@router.get("/events")
def events(who: Signed, rules: RulesDep, state: State,
           last_event: Annotated[str | None, Header(alias="Last-Event-ID")] = None
           ) -> EventStream:
    """Every event the person may see, from now (or after `Last-Event-ID`)."""
    held, gone = ExitStack(), Event()
    done = ended(gone, state.stopping)
    try:
        waker = held.enter_context(who.db.waker(done))  # before the first read: nothing missed
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
                if done():  # the page reconnects with Last-Event-ID
                    return
                yield _PLAIN.sub("", frame)
        finally:
            body.close()
            held.close()

    return EventStream(stream(), gone)

"""The event stream as Server-Sent Events frames, for `GET /api/v1/events` in `mpo serve`.

The route parses `Last-Event-ID` (or `?since=`) and the list filters, opens a waker and
returns `frames(...)` as a `text/event-stream` body; a sync generator, so a server runs it
in a worker thread. Each event is one frame whose `id:` is the event id (browsers and
clients resend it as `Last-Event-ID` when they reconnect) and whose `data:` is the event
document of hooks and webhooks (without the `task` summary, which would cost a read per
event); an idle stream sends a comment line as a keep-alive.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING

from mpo.core.usecases import stream
from mpo.delivery import payload

if TYPE_CHECKING:
    from mpo.core.domain.permissions import Actor
    from mpo.core.domain.selection import TaskQuery
    from mpo.core.domain.validation import Rules
    from mpo.core.ports import Database
    from mpo.core.ports.events import Waker


def last_event_id(header: str | None) -> int | None:
    """`Last-Event-ID` as an event id; None (start from now) if absent or not a number."""
    if header is None or not header.strip().isdigit():
        return None
    return int(header.strip())


def frames(
    db: Database,
    actor: Actor,
    waker: Waker,
    query: TaskQuery,
    rules: Rules,
    *,
    after_id: int | None,
    actions: Sequence[str] = (),
    idle: float = 15.0,
) -> Generator[str, None, None]:
    """SSE frames of the events after `after_id` (None: from now) the actor may see."""
    checked = stream.checked_query(db, actor, query, rules)
    start = stream.start_of(db, actor, None, after_id)
    yield "retry: 2000\n\n"
    for page in stream.follow(db, actor, waker, after_id=start, query=checked,
                              actions=actions, idle=idle):
        if not page:
            yield ": keep-alive\n\n"
        for event in page:
            doc = payload.document(event, None)
            yield f"id: {event.id}\nevent: {doc['type']}\ndata: {json.dumps(doc)}\n\n"


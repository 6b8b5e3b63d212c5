"""The audit log as a stream: events after an id, visible to the actor, none ever skipped.

Readers hold a `Waker` (opened before their first read, so nothing commits unseen between
a read and the wait) and read again whenever it fires. A named consumer keeps its cursor in
the database and advances it only after it has delivered: at least once, never lost. Every
event carries its id, for receivers to de-duplicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from mpo.core.domain import filter_values, permissions, validation
from mpo.core.domain.errors import AuthError, ValidationError
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.validation import Rules
from mpo.core.domain.wellformed import COUNT_MAX
from mpo.core.ports import Database
from mpo.core.ports.events import PAGE
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.workflow_apply import known_statuses

if TYPE_CHECKING:
    from mpo.core.ports.events import Waker
    from mpo.core.tables.models import TaskEvent


def checked_query(db: Database, actor: Actor, query: TaskQuery, rules: Rules) -> TaskQuery:
    """The filters as the actor may apply them: agents see their own marketplace only; a
    status may be a custom workflow's state."""
    filter_values.check(query, rules, query.statuses, known_statuses(db, query.statuses))
    return permissions.scope(actor, query)


def read_after(
    db: Database, actor: Actor, after_id: int, query: TaskQuery, *,
    actions: Sequence[str] = (), limit: int = PAGE,
) -> list[TaskEvent]:
    """One page of the events after `after_id` that match and that the actor may see.

    The actor is checked again at each read, so a principal revoked while its stream is
    open is cut at the next page or keep-alive, on SQLite as on PostgreSQL (where the
    database itself refuses the token and hides the principal).
    """
    with refusals_recorded(db, actor, Verb.WATCH):
        permissions.require(actor, Verb.WATCH)
        with db.read() as uow:
            found = uow.principals.by_name(actor.name)  # PostgreSQL: None once revoked
            if found is None or found.revoked_at is not None:
                raise AuthError(f"{actor.name} was revoked; the stream ends")
            return uow.stream.after(after_id, query=query, actions=actions, limit=limit)


def follow(
    db: Database,
    actor: Actor,
    waker: Waker,
    *,
    after_id: int,
    query: TaskQuery,
    actions: Sequence[str] = (),
    idle: float = 15.0,
) -> Iterator[list[TaskEvent]]:
    """Every matching event after `after_id`, for ever, in pages as they commit.

    An empty page comes after `idle` seconds without events, so a server can send a
    keep-alive and notice a client that left (`GET /api/v1/events` wraps this, with
    Last-Event-ID as `after_id`). `query` must already be `checked_query`'s.
    """
    last = after_id
    while True:
        page = read_after(db, actor, last, query, actions=actions)
        if page:
            yield page
            last = page[-1].id or last
            if len(page) == PAGE:
                continue
        if not waker.wait(idle):
            yield []


def start_of(db: Database, actor: Actor, consumer: str | None, since: int | None) -> int:
    """Where a reader starts: `since` if given, else the consumer's cursor, else now.

    A consumer seen for the first time gets its cursor at that start at once, so a crash
    before its first acknowledgement resumes from there, not from a later "now". Names are
    the actor's own: another principal's consumer of the same name is another cursor.
    """
    if since is not None and not 0 <= since <= COUNT_MAX:
        raise ValidationError("since-event", f"must be an event id 0-{COUNT_MAX}, got {since}")
    with db.read() as uow:
        found = None if consumer is None else uow.stream.cursor(consumer, actor.name)
        newest = uow.stream.newest_id()
    if found is not None:
        return found.last_event_id if since is None else since
    start = newest if since is None else since
    if consumer is not None:
        with db.write() as uow:
            uow.stream.advance(consumer, actor.name, start)
            uow.commit()
    return start


def check_consumer(name: str) -> str:
    """A consumer name: like a principal's name."""
    return validation.name("consumer", name)


def acknowledge(db: Database, actor: Actor, consumer: str, events: Iterable[TaskEvent]) -> None:
    """Record that `consumer` has delivered these events (call after delivering them)."""
    ids = [e.id for e in events if e.id is not None]
    if not ids:
        return
    with db.write() as uow:
        uow.stream.advance(consumer, actor.name, max(ids))
        uow.commit()

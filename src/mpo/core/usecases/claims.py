"""`mpo claim` and the return of lost leases (docs/claim.md).

A claim is one transaction: the tasks whose lease ran out (in the claimer's reach) go back
to approved first (`lease_expired` events), then the next approved, unassigned task the
claimer may execute (the `executors` rules) and that matches its filters is locked (`FOR
UPDATE SKIP LOCKED` on PostgreSQL; the write lock on SQLite), assigned to it and moved to
in_progress with a lease (`claim` event), all through the transition engine. Nothing free:
exit 3, or with `wait`, sleep on the event stream's waker and try again until the time runs
out (exit 8). The wait also ends when the soonest lease in reach runs out: that task is
claimable then, and no event announces it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from mpo.core.domain import executors, permissions, validation
from mpo.core.domain.clock import Clock, utcnow
from mpo.core.domain.errors import NotFound, PermissionDenied, TimedOut
from mpo.core.domain.executors import ClaimQuery, Order
from mpo.core.domain.lifecycle import BUILTIN, TransitionParams, event_payload, stamps
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.results import BatchResult, ItemResult
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action, Category
from mpo.core.usecases import engine
from mpo.core.usecases.engine import Move, blocker
from mpo.core.usecases.identity import refusals_recorded

if TYPE_CHECKING:
    from mpo.core.ports import Database, UnitOfWork
    from mpo.core.ports.events import Waker
    from mpo.core.tables.models import Task

#: Lost leases a claim returns before it claims (the rest wait for the next claim).
RETURNED_PER_CLAIM = 100
#: Lost leases `mpo expire` returns in one batch.
RETURNED_PER_EXPIRE = 5000


def _scope(actor: Actor) -> str | None:
    """The marketplace an actor is bound to (agents), else None."""
    return actor.marketplace if actor.role in permissions.MARKETPLACE_BOUND else None


def _return_lost(uow: UnitOfWork, actor: Actor, now: datetime, batch_id: uuid.UUID,
                 limit: int) -> list[Move]:
    """Move the tasks whose lease ran out back to approved; the moves made."""
    spec = BUILTIN.spec(Action.LEASE_EXPIRED.value)
    moves = []
    for task in uow.leases.lost(now, _scope(actor), limit):
        until = task.lease_expires_at
        moves.append(Move(
            str(task.id), task, spec.action, tuple(sorted(spec.sources)), spec.target,
            stamps(spec, actor=actor.name, now=now, params=TransitionParams(),
                   assigned_to=task.assigned_to),
            f"the lease of {task.assigned_to} ran out",
            {"holder": task.assigned_to,
             "lease_expires_at": None if until is None else until.isoformat()}))
    if not moves:
        return []
    done, _ = engine.apply(uow, actor.name, moves, batch_id, now, skip_invalid=True,
                           why=lambda m, current: blocker(actor, spec, m.task, current,
                                                          BUILTIN, now))
    return done


def return_lost(db: Database, actor: Actor, *, dry_run: bool = False,
                clock: Clock = utcnow) -> BatchResult:
    """Return every task whose lease ran out to approved, as one batch (`mpo expire`)."""
    with refusals_recorded(db, actor, Verb.EXPIRE):
        permissions.require(actor, Verb.EXPIRE)
        batch_id = uuid.uuid4()
        with (db.read() if dry_run else db.write()) as uow:
            now = clock()
            if dry_run:
                lost = uow.leases.lost(now, _scope(actor), RETURNED_PER_EXPIRE)
                return BatchResult(Action.LEASE_EXPIRED, batch_id, True, [
                    ItemResult(t, t.status, BUILTIN.spec(Action.LEASE_EXPIRED).target,
                               "would_change") for t in lost])
            done = _return_lost(uow, actor, now, batch_id, RETURNED_PER_EXPIRE)
            fresh = {t.id: t for t in uow.tasks.by_ids([m.task.id for m in done])}
            uow.commit()
        return BatchResult(Action.LEASE_EXPIRED, batch_id, False, [
            ItemResult(fresh[m.task.id], m.origin, m.target, "changed") for m in done])


def claim_query(rules: Rules, actor: Actor, *, marketplaces: Sequence[str] = (),
                categories: Sequence[str] = (), tags: Sequence[str] = (),
                order: str = Order.OLDEST.value) -> ClaimQuery:
    """What the actor may claim, narrowed by its filters; refused (exit 4) when no
    `executors` rule names it, (exit 2) for a filter value that can never match."""
    covers = executors.covers(rules.executors, actor.name, actor.role.value)
    if not covers:
        named = "; ".join(f"{r.name}: {', '.join((*r.principals, *r.roles))}"
                          for r in rules.executors)
        raise PermissionDenied(f"{actor.name} (role {actor.role}) may not claim: no "
                               f"executors rule names it ({named}); see docs/claim.md")
    for value in marketplaces:
        validation.one_of("marketplace", value, rules.marketplaces)
    for value in categories:
        validation.one_of("category", value, [c.value for c in Category])
    for value in tags:
        validation.text("tag", value, max_len=50)
    scope = _scope(actor)
    if scope is not None and set(marketplaces) - {scope}:
        raise PermissionDenied(f"{actor.name} may only claim tasks of marketplace {scope}")
    mine = (scope,) if scope else (actor.markets or ())  # a team's people: its work
    if scope is None and actor.markets is not None and set(marketplaces) - set(mine):
        raise PermissionDenied(f"{actor.name} may only claim tasks of its team's "
                               f"marketplaces ({', '.join(mine)})")
    return ClaimQuery(covers=covers, marketplaces=tuple(marketplaces) or mine,
                      categories=tuple(categories), tags=tuple(tags),
                      order=Order(validation.one_of("order", order, [o.value for o in Order])))


def _attempt(db: Database, actor: Actor, query: ClaimQuery, lease: float | None,
             clock: Clock) -> Task | float | None:
    """One claim transaction: lost leases returned, then the next free task claimed; when
    none is free, the seconds until the soonest lease in reach runs out (None: none held)."""
    spec = BUILTIN.spec(Action.CLAIM.value)
    with db.write() as uow:
        now = clock()
        batch_id = uuid.uuid4()
        returned = _return_lost(uow, actor, now, batch_id, RETURNED_PER_CLAIM)
        task = uow.leases.claimable(query)
        if task is None:
            soonest = uow.leases.soonest(_scope(actor))
            if returned:
                uow.commit()
            return None if soonest is None else max((soonest - now).total_seconds(), 0.0)
        given = TransitionParams(lease=lease)
        refusal = blocker(actor, spec, task, task.status, BUILTIN, now)
        if refusal is not None:  # the query selects only what the actor may claim
            raise refusal
        move = Move(str(task.id), task, spec.action, tuple(sorted(spec.sources)), spec.target,
                    stamps(spec, actor=actor.name, now=now, params=given, assigned_to=None),
                    None, event_payload(spec, given))
        engine.apply(uow, actor.name, [move], batch_id, now,
                     why=lambda m, current: blocker(actor, spec, m.task, current, BUILTIN, now))
        fresh = uow.tasks.by_ids([task.id])[0]
        uow.commit()
    return fresh


def claim(db: Database, actor: Actor, query: ClaimQuery, *, lease: float | None = None,
          wait: float | None = None, waker: Waker | None = None, clock: Clock = utcnow,
          monotonic: Callable[[], float] = time.monotonic) -> Task:
    """Claim the next task `query` selects for `actor` with a lease of `lease` seconds
    (default 15 minutes). Nothing free: NotFound (exit 3); with `wait` seconds and a
    `waker`, wait for one on the event stream, then TimedOut (exit 8)."""
    with refusals_recorded(db, actor, Verb.CLAIM):
        permissions.require(actor, Verb.CLAIM)
        deadline = None if wait is None else monotonic() + wait
        while True:
            task = _attempt(db, actor, query, lease, clock)
            if task is not None and not isinstance(task, float):
                return task
            if deadline is None or waker is None:
                raise NotFound(f"claim: nothing to claim: no approved, unassigned task "
                               f"{_what(query)}")
            left = deadline - monotonic()
            if left <= 0:
                raise TimedOut(f"claim: nothing to claim after waiting {wait:g}s "
                               f"({_what(query)})")
            # Events wake it (a task approved or given back); nothing announces a lease
            # running out, so it wakes for the soonest one too.
            waker.wait(min(left, 60.0, 60.0 if task is None else task + 0.05))


def _what(query: ClaimQuery) -> str:
    """The filters of a claim, in words, for its refusal."""
    given = [f"{name} {', '.join(values)}" for name, values in (
        ("marketplace", query.marketplaces), ("category", query.categories),
        ("tag", query.tags)) if values]
    return "you may execute" + (f" matches {'; '.join(given)}" if given else " is free")


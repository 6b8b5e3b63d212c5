"""Routing: approved tasks nobody is assigned to go to people by the first matching rule.

Strategies: `round-robin` (a cursor per rule, kept in the database so concurrent routers
never hand out the same turn), `least-loaded` (fewest tasks in progress), `specialist`
(best mean estimate accuracy, then most completions, in the task's category over the last
90 days; ties go to the least loaded). Each assignment is an `assign` event whose payload
names the rule and strategy. One call is one transaction; an approval with `auto_assign`
on routes in its own (`assign_by_rules`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from mpo.core.domain import permissions
from mpo.core.domain.clock import Clock, utcnow
from mpo.core.domain.errors import ItemProblem, PermissionDenied
from mpo.core.domain.lifecycle import Lifecycle, TransitionParams, stamps
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.results import BatchResult, problem
from mpo.core.domain.routing_rules import Rule, Strategy
from mpo.core.domain.teams import covers
from mpo.core.domain.vocabulary import Action
from mpo.core.ports import Database, UnitOfWork
from mpo.core.tables.models import Task
from mpo.core.usecases import engine, idempotency
from mpo.core.usecases.assignees import TeamCheck
from mpo.core.usecases.engine import Move, blocker
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.workflow_apply import lifecycle_of

SPECIALIST_DAYS = 90


def rule_for(rules: Sequence[Rule], task: Task) -> Rule | None:
    """The first rule that matches a task, if any."""
    return next((r for r in rules if r.matches(task.marketplace, task.category,
                                              list(task.tags or []), task.listing_id)), None)


def _picks(uow: UnitOfWork, rule: Rule, tasks: list[Task], now: datetime) -> list[str]:
    """One person of the rule's pool for each task, in order."""
    pool = rule.pool
    if rule.strategy is Strategy.ROUND_ROBIN:
        start = uow.routing.advance(rule.name, len(tasks))
        return [pool[(start + i) % len(pool)] for i in range(len(tasks))]
    loads = uow.routing.loads(pool)
    scores: dict[str, dict[str, tuple[float, int]]] = {}
    picks: list[str] = []
    for task in tasks:
        if rule.strategy is Strategy.SPECIALIST:
            if task.category not in scores:
                scores[task.category] = uow.routing.specialists(
                    pool, task.category, now - timedelta(days=SPECIALIST_DAYS))
            record = scores[task.category]
            person = min(pool, key=lambda p: (-record.get(p, (0.0, 0))[0],
                                              -record.get(p, (0.0, 0))[1], loads[p]))
        else:
            person = min(pool, key=lambda p: loads[p])
        loads[person] += 1
        picks.append(person)
    return picks


def _pools(uow: UnitOfWork, rules: Sequence[Rule]) -> list[Rule]:
    """The rules with an mpo team's pool read in: its active members who may be given work,
    and, unless the rule says, its marketplaces as the rule's (issue 25: routing per team)."""
    from mpo.core.usecases.assignees import WORKERS
    from mpo.core.usecases.team_lookup import resolve

    found = []
    for rule in rules:
        if rule.pool or rule.team is None:
            found.append(rule)
            continue
        team, markets = resolve(uow, rule.team)
        people = tuple(p.name for p in uow.teams.members(team)
                       if p.revoked_at is None and p.role in WORKERS)
        if people:
            found.append(replace(rule, pool=people,
                                 marketplaces=rule.marketplaces or markets or ()))
    return found


def assign_by_rules(uow: UnitOfWork, actor: Actor, rules: Sequence[Rule],
                    lifecycle: Lifecycle, task_ids: Sequence[uuid.UUID] | None, *,
                    batch_id: uuid.UUID, now: datetime, dry_run: bool = False) -> BatchResult:
    """Inside the caller's unit of work: assign the approved, unassigned tasks among
    `task_ids` (or all) by the first matching rule, through the transition engine. A task
    the actor may not assign, or one taken meanwhile, is reported as skipped."""
    spec = lifecycle.spec(Action.ASSIGN.value)
    rules = _pools(uow, rules)
    waiting = uow.routing.unassigned(None if task_ids is None else sorted(task_ids))
    groups: dict[str, list[Task]] = {}
    for task in waiting:
        if not covers(actor.markets, task.marketplace):
            continue  # another team's work: not this router's to route
        rule = rule_for(rules, task)
        if rule is not None:
            groups.setdefault(rule.name, []).append(task)
    moves: list[Move] = []
    skipped: list[ItemProblem] = []
    teams = TeamCheck(uow)
    for rule in rules:
        group = groups.get(rule.name, [])
        detail = f"rule {rule.name} ({rule.strategy})"
        for task, person in zip(group, _picks(uow, rule, group, now) if group else [],
                                strict=True):
            why = blocker(actor, spec, task, task.status, lifecycle)
            outside = teams.refusal(person, task)
            if why is None and outside is not None:
                why = PermissionDenied(f"task {str(task.id)[:8]} {outside}")
            if why is not None:
                skipped.append(problem(str(task.id), why))
                continue
            given = TransitionParams(assignee=person)
            moves.append(Move(str(task.id), task, spec.action, tuple(sorted(spec.sources)),
                              spec.target, stamps(spec, actor=actor.name, now=now,
                                                  params=given, assigned_to=None),
                              reason=f"routed by {detail}",
                              payload={"assigned_to": person, "rule": rule.name,
                                       "strategy": rule.strategy.value},
                              detail=f"{detail} -> {person}"))
    if dry_run:
        return BatchResult(Action.ASSIGN, batch_id, True,
                           [m.item("would_change") for m in moves], skipped)
    done, lost = engine.apply(
        uow, actor.name, moves, batch_id, now, skip_invalid=True,
        why=lambda m, current: blocker(actor, spec, m.task, current, lifecycle))
    fresh = {t.id: t for t in uow.tasks.by_ids([m.task.id for m in done])}
    return BatchResult(Action.ASSIGN, batch_id, False,
                       [replace(m.item(), task=fresh[m.task.id]) for m in done],
                       skipped + lost)


def route(
    db: Database,
    actor: Actor,
    rules: Sequence[Rule],
    *,
    task_ids: frozenset[uuid.UUID] | None = None,
    dry_run: bool = False,
    idempotency_key: str | None = None,
    clock: Clock = utcnow,
) -> BatchResult:
    """Assign approved, unassigned tasks (those of `task_ids`, or all) by the rules; a
    retry with the same `idempotency_key` returns the first result."""
    key = None if dry_run else idempotency.checked(idempotency_key)
    with refusals_recorded(db, actor, Verb.ROUTE):
        permissions.require(actor, Verb.ROUTE)
        # A dry run advances nothing: its unit of work is rolled back.
        with db.write() as uow:
            # The request is what was asked, not the rules in force when it ran.
            request = {"task_ids": None if task_ids is None else sorted(map(str, task_ids))}
            first = idempotency.first_result(uow, actor, key, Verb.ROUTE.value, request, clock)
            if first is not None:
                return first
            result = assign_by_rules(uow, actor, rules, lifecycle_of(uow),
                                     None if task_ids is None else sorted(task_ids),
                                     batch_id=uuid.uuid4(), now=clock(), dry_run=dry_run)
            if not dry_run:
                idempotency.keep(uow, actor, key, result)
                uow.commit()
        return result

"""Routing: approved tasks nobody is assigned to go to people by the first matching rule.

Strategies: `round-robin` (a cursor per rule, kept in the database so concurrent routers
never hand out the same turn), `least-loaded` (fewest tasks in progress), `specialist`
(best mean estimate accuracy, then most completions, in the task's category over the last
90 days; ties go to the least loaded). Each assignment is an `assign` event whose payload
names the rule and strategy. One call is one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from mpo.core import permissions
from mpo.core.clock import Clock, utcnow
from mpo.core.identity import refusals_recorded
from mpo.core.lifecycle import TransitionParams, stamps, transition_for
from mpo.core.models import Task, TaskEvent
from mpo.core.permissions import Actor, Verb
from mpo.core.ports import Database, UnitOfWork
from mpo.core.results import BatchResult, ItemResult
from mpo.core.routing_rules import Rule, Strategy
from mpo.core.vocabulary import Action

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


def route(
    db: Database,
    actor: Actor,
    rules: Sequence[Rule],
    *,
    task_ids: frozenset[uuid.UUID] | None = None,
    dry_run: bool = False,
    clock: Clock = utcnow,
) -> BatchResult:
    """Assign approved, unassigned tasks (those of `task_ids`, or all) by the rules."""
    with refusals_recorded(db, actor, Verb.ROUTE):
        permissions.require(actor, Verb.ROUTE)
        assign = transition_for(Action.ASSIGN)
        batch_id = uuid.uuid4()
        now = clock()
        # A dry run advances nothing: its unit of work is rolled back.
        with db.write() as uow:
            waiting = uow.routing.unassigned(None if task_ids is None else sorted(task_ids))
            groups: dict[str, list[Task]] = {}
            for task in waiting:
                rule = rule_for(rules, task)
                if rule is not None:
                    groups.setdefault(rule.name, []).append(task)
            items: list[ItemResult] = []
            events: list[TaskEvent] = []
            for rule in rules:
                group = groups.get(rule.name, [])
                if not group:
                    continue
                detail = f"rule {rule.name} ({rule.strategy})"
                for task, person in zip(group, _picks(uow, rule, group, now), strict=True):
                    if dry_run:
                        items.append(ItemResult(task, task.status, assign.target,
                                                "would_change", f"{detail} -> {person}"))
                        continue
                    values = stamps(Action.ASSIGN, actor=actor.name, now=now,
                                    params=TransitionParams(assignee=person), assigned_to=None)
                    if not uow.tasks.move(task.id, task.status, assign.target.value, values):
                        continue  # taken meanwhile (PostgreSQL): it is no longer waiting
                    events.append(TaskEvent(
                        task_id=task.id, batch_id=batch_id, actor=actor.name,
                        action=Action.ASSIGN.value, from_status=task.status,
                        to_status=assign.target.value, reason=f"routed by {detail}", at=now,
                        payload={"assigned_to": person, "rule": rule.name,
                                 "strategy": rule.strategy.value}))
                    items.append(ItemResult(task, task.status, assign.target, "changed",
                                            f"{detail} -> {person}"))
            if not dry_run:
                uow.tasks.add_events(events)
                uow.commit()
        return BatchResult(Action.ASSIGN, batch_id, dry_run, items)

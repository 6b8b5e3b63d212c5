"""The lifecycle verbs' use case: one transaction for the whole verb, from every door.

Permission, the values' checks, the selection, the moves (through `engine.apply`), the
seed's submit-and-decide, and routing on approval when `auto_assign` is on all happen here,
in one unit of work; the tasks returned are read back from the database, not rebuilt.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from datetime import datetime

from mpo.core.domain import filter_values, permissions
from mpo.core.domain.clock import Clock, utcnow
from mpo.core.domain.errors import (
    Conflict,
    InvalidTransition,
    ItemProblem,
    MpoError,
    PermissionDenied,
    ValidationError,
)
from mpo.core.domain.lifecycle import (
    MOVE,
    ActionSpec,
    Lifecycle,
    TransitionParams,
    event_payload,
    stamps,
)
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.results import BatchResult, ItemResult, fail, problem
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.ports import Database, UnitOfWork
from mpo.core.tables.models import Task
from mpo.core.usecases import assignees, engine, idempotency
from mpo.core.usecases.engine import Move, Progress, blocker
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.lookup import resolve_all
from mpo.core.usecases.routing import assign_by_rules
from mpo.core.usecases.subtasks import hold_open
from mpo.core.usecases.workflow_apply import lifecycle_of

__all__ = ["Progress", "blocker", "transition"]


def _short(task: Task) -> str:
    return str(task.id)[:8]


def _candidates(uow: UnitOfWork, actor: Actor, sources: frozenset[str], selection: Selection,
                problems: list[ItemProblem], errors: list[MpoError]) -> list[tuple[str, Task]]:
    """The tasks a selection names (a filter reads only those in `sources`)."""
    found: list[tuple[str, Task]] = []
    if selection.by_filter:
        query = permissions.scope(actor, selection.query(*sorted(sources), me=actor.name))
        found = [(str(t.id), t) for t in uow.tasks.find(query)]
    seen = {t.id for _, t in found}
    for ref, task in resolve_all(uow, actor, selection.refs):
        if isinstance(task, MpoError):
            problems.append(problem(ref, task))
            errors.append(task)
        elif task.id not in seen:
            seen.add(task.id)
            found.append((ref, task))
    return found


def _declaration(lifecycle: Lifecycle, name: str, params: TransitionParams
                 ) -> tuple[ActionSpec, dict[str, ActionSpec]]:
    """The declaration of `name` (for `move`: one of its edges into `params.to`, and all of
    them by the status they leave from)."""
    if name == MOVE:
        if params.to is None:
            raise ValidationError("to", "move needs a status to move to (--to STATUS); "
                                  "see mpo workflow show")
        edges = lifecycle.moves_to(params.to)
        if not edges:
            targets = sorted({s.target for s in lifecycle.actions.values() if s.action == MOVE})
            raise ValidationError("to", f"no move leads to {params.to!r}; moves lead to: "
                                  f"{', '.join(targets) or 'nothing (no workflow applied: '}"
                                  + ("" if targets else "see mpo workflow apply)"))
        return next(iter(edges.values())), edges
    if name not in lifecycle.actions:
        raise InvalidTransition(f"{name} is not an action of this workflow; "
                                f"actions: {', '.join(sorted(lifecycle.actions))}")
    return lifecycle.spec(name), {}


def _edge(edges: dict[str, ActionSpec], task: Task) -> ActionSpec:
    """The move edge that leaves the task's status (or, when none does, one that
    `blocker` will refuse with the statuses it needs)."""
    found = edges.get(task.status)
    if found is not None:
        return found
    first = next(iter(edges.values()))
    return replace(first, sources=frozenset(edges))


def _chain(actor: Actor, lifecycle: Lifecycle, spec: ActionSpec, task: Task,
           submit_first: bool, now: datetime) -> tuple[ActionSpec, ...] | MpoError:
    """The actions that bring `task` to `spec`'s target: the action itself, or (the seed's
    dashboard deciding a pending task) a submit first; or why none can."""
    if submit_first and task.status == Status.PENDING.value:
        submit = lifecycle.spec(Action.SUBMIT.value)
        if not actor.may(Verb.SUBMIT):
            return PermissionDenied(f"task {_short(task)} is pending, and {actor.name} may "
                                    "not submit it")
        for step, status in ((submit, Status.PENDING.value),
                             (spec, submit.target)):
            why = blocker(actor, step, task, status, lifecycle, now)
            if why is not None:
                return why
        return (submit, spec)
    why = blocker(actor, spec, task, task.status, lifecycle, now)
    return why if why is not None else (spec,)


def transition(
    db: Database,
    actor: Actor,
    action: Action | str,
    selection: Selection,
    params: TransitionParams,
    rules: Rules,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    submit_first: bool = False,
    expect: frozenset[uuid.UUID] | None = None,
    progress: Progress | None = None,
    idempotency_key: str | None = None,
    clock: Clock = utcnow,
) -> BatchResult:
    """Move the selected tasks along the lifecycle, all or nothing unless `skip_invalid`.

    `submit_first` submits pending tasks before deciding them (the seed's dashboard).
    `expect` pins the exact set of tasks a person confirmed: if the selection now names
    another set, nothing changes. With `rules.auto_assign`, approved tasks are routed in
    the same transaction (the result's `then`). With an `idempotency_key` (ignored by a
    dry run), a retry of the same request returns the first result (`idempotency.py`).
    """
    name = str(action)
    key = None if dry_run else idempotency.checked(idempotency_key)
    with refusals_recorded(db, actor, name):
        with (db.read() if dry_run else db.write()) as uow:
            lifecycle = lifecycle_of(uow)
            spec, edges = _declaration(lifecycle, name, params)
            permissions.require_spec(actor, spec)
            params.require(spec)
            selection.check()
            filter_values.check(selection, rules)
            request = {"selection": asdict(selection), "params": asdict(params),
                       "skip_invalid": skip_invalid, "submit_first": submit_first}
            first = idempotency.first_result(uow, actor, key, name, request, clock)
            if first is not None:
                return first
            worker = params.only(spec).assignee
            if worker is not None:
                assignees.require(uow, worker)
            teams = assignees.TeamCheck(uow)
            problems: list[ItemProblem] = []
            errors: list[MpoError] = []
            sources = (frozenset(edges) if edges else spec.sources) | (
                {Status.PENDING.value} if submit_first else set())
            plan: list[tuple[str, Task, tuple[ActionSpec, ...]]] = []
            now = clock()
            for label, task in _candidates(uow, actor, frozenset(sources), selection,
                                           problems, errors):
                chain = _chain(actor, lifecycle, _edge(edges, task) if edges else spec,
                               task, submit_first, now)
                outside = None if worker is None else teams.refusal(worker, task)
                if outside is not None and not isinstance(chain, MpoError):
                    chain = PermissionDenied(f"task {_short(task)} {outside}")
                if isinstance(chain, MpoError):
                    problems.append(problem(label, chain))
                    errors.append(chain)
                else:
                    plan.append((label, task, chain))
            if name == Action.COMPLETE.value:  # open subtasks hold their task
                kept = {t.id for _, t in hold_open(uow, [(lb, t) for lb, t, _ in plan],
                                                   problems, errors)}
                plan = [p for p in plan if p[1].id in kept]
            if problems and not skip_invalid:
                fail(name, problems, errors, len(plan) + len(problems))
            batch_id = uuid.uuid4()
            if dry_run:
                items = [ItemResult(t, t.status, spec.target, "would_change") for _, t, _ in plan]
                return BatchResult(name, batch_id, True, items, problems)
            if expect is not None and {t.id for _, t, _ in plan} != expect:
                raise Conflict(f"{name}: the selection changed since it was confirmed; "
                               "run it again")
            origin = {t.id: t.status for _, t, _ in plan}  # before the read-back refreshes
            moved = _run(uow, actor, lifecycle, plan, params, batch_id, now, problems,
                         skip_invalid, progress)
            then: list[BatchResult] = []
            if name == Action.APPROVE.value and rules.auto_assign is not None and moved:
                then.append(assign_by_rules(uow, actor, rules.auto_assign, lifecycle,
                                            sorted(moved), batch_id=batch_id, now=now))
            fresh = {t.id: t for t in uow.tasks.by_ids(sorted(moved))}
            items = [ItemResult(fresh[i], origin[i], spec.target, "changed")
                     for i in (t.id for _, t, _ in plan) if i in moved]
            result = BatchResult(name, batch_id, False, items, problems, then)
            idempotency.keep(uow, actor, key, result)
            uow.commit()
        return result


def _run(uow: UnitOfWork, actor: Actor, lifecycle: Lifecycle,
         plan: list[tuple[str, Task, tuple[ActionSpec, ...]]], params: TransitionParams,
         batch_id: uuid.UUID, now: datetime, problems: list[ItemProblem], skip_invalid: bool,
         progress: Progress | None) -> set[uuid.UUID]:
    """Each step of the plan as one set of moves; the ids that went the whole way."""
    depth = max((len(chain) for _, _, chain in plan), default=0)
    alive = {t.id for _, t, _ in plan}  # not lost in an earlier step
    for step in range(depth):
        moves = []
        for label, task, chain in plan:
            at = step - (depth - len(chain))  # chains end together: one UPDATE decides all
            if task.id not in alive or at < 0:
                continue
            spec = chain[at]
            given = params.only(spec)
            start = task.status if at == 0 else chain[at - 1].target
            moves.append(Move(
                label, task, spec.action, tuple(sorted(spec.sources)),
                spec.target, stamps(spec, actor=actor.name, now=now, params=given,
                                    assigned_to=task.assigned_to),
                given.event_reason(spec), event_payload(spec, given),
                start=start))
        done, missed = engine.apply(
            uow, actor.name, moves, batch_id, now, skip_invalid=skip_invalid,
            progress=progress if depth == 1 else None,
            why=lambda m, current: blocker(actor, lifecycle.spec(m.action), m.task, current,
                                           lifecycle, now))
        problems.extend(missed)
        alive -= {m.task.id for m in moves} - {m.task.id for m in done}
    return alive

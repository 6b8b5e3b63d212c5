"""`create --submit`: the tasks a create just made are submitted in its transaction, the
submit events sharing the create's batch id (the common agent case, issue 21).

Through the transition engine and the submit declaration in force, like `mpo submit`: the
same checks (an agent submits its own tasks only), the same stamps, the same events.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from mpo.core.domain.errors import ItemProblem, MpoError
from mpo.core.domain.lifecycle import TransitionParams, event_payload, stamps
from mpo.core.domain.permissions import Actor
from mpo.core.domain.results import fail, problem
from mpo.core.domain.vocabulary import Action
from mpo.core.ports import UnitOfWork
from mpo.core.tables.models import Task
from mpo.core.usecases import engine
from mpo.core.usecases.engine import Move, blocker
from mpo.core.usecases.workflow_apply import lifecycle_of


def submit_created(uow: UnitOfWork, actor: Actor, made: list[tuple[str, Task]],
                   batch_id: uuid.UUID, now: datetime, *, dry_run: bool = False) -> None:
    """Submit the (label, task) pairs just created, all or nothing; a dry run only sets
    on the unsaved tasks what the submit would store."""
    lifecycle = lifecycle_of(uow)
    spec = lifecycle.spec(Action.SUBMIT.value)
    given = TransitionParams()
    problems: list[ItemProblem] = []
    errors: list[MpoError] = []
    moves: list[Move] = []
    for label, task in made:
        why = blocker(actor, spec, task, task.status, lifecycle)
        if why is not None:
            problems.append(problem(label, why))
            errors.append(why)
            continue
        moves.append(Move(label, task, spec.action, tuple(sorted(spec.sources)), spec.target,
                          stamps(spec, actor=actor.name, now=now, params=given,
                                 assigned_to=task.assigned_to),
                          given.event_reason(spec), event_payload(spec, given)))
    if problems:
        fail("create", problems, errors, len(made))
    if dry_run:
        for move in moves:
            move.task.status = move.target
            for column, value in move.values.items():
                setattr(move.task, column, value)
        return
    engine.apply(uow, actor.name, moves, batch_id, now,
                 why=lambda m, current: blocker(actor, spec, m.task, current, lifecycle))

"""The approval queue as the web page shows it: `mpo review`'s queue (oldest first, agents'
approval rates) with each agent's health band (`mpo status`) and each task's predicted
effort (`mpo estimate`), read once for the page. Decisions go through `review.decide`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mpo.core.domain.estimate import predict
from mpo.core.domain.permissions import Role, Verb
from mpo.core.usecases.review import Queue, load_queue

if TYPE_CHECKING:
    from mpo.core.domain.estimate import History, Prediction
    from mpo.core.domain.permissions import Actor
    from mpo.core.domain.validation import Rules
    from mpo.core.ports import Database


@dataclass(frozen=True)
class Board:
    """The queue, each agent's health band, and each task's prediction (None: too little
    history)."""

    queue: Queue
    bands: dict[str, str]
    predictions: dict[uuid.UUID, Prediction | None]


def board(db: Database, actor: Actor, rules: Rules) -> Board:
    """The queue as the actor may see it; bands only for those who may read the status."""
    from mpo.core.usecases.status import status

    queue = load_queue(db, actor, rules)
    bands: dict[str, str] = {}
    if actor.may(Verb.STATUS):
        bands = {a.agent: a.health for a in status(db, actor).agents}
    scope = actor.marketplace if actor.role is Role.AGENT else None
    histories: dict[tuple[str, str, str], History] = {}
    predictions: dict[uuid.UUID, Prediction | None] = {}
    with db.read() as uow:
        for task in queue.tasks:
            key = (task.created_by, task.marketplace, task.category)
            if key not in histories:
                histories[key] = uow.history.ratios(agent=key[0], marketplace=key[1],
                                                    category=key[2], scope=scope)
            predictions[task.id] = predict(task.estimated_hours, histories[key])
    return Board(queue, bands, predictions)

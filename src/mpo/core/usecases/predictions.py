"""Use cases of effort prediction: for a stored task, for a task not yet created, and the
one-line hook `create` and `show` call (docs/estimate.md). The model is `mpo.core.domain.estimate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mpo.core.domain import permissions, validation
from mpo.core.domain.estimate import Prediction, predict
from mpo.core.domain.permissions import Actor, Role, Verb
from mpo.core.domain.vocabulary import Category, agent_name, values
from mpo.core.usecases.identity import refusals_recorded

if TYPE_CHECKING:
    from mpo.core.domain.validation import Rules
    from mpo.core.ports import Database, UnitOfWork
    from mpo.core.tables.models import Task


def _scope(actor: Actor) -> str | None:
    """An agent learns from its own marketplace only (row-level security agrees)."""
    return actor.marketplace if actor.role is Role.AGENT else None


def predict_with(uow: UnitOfWork, actor: Actor, *, agent: str, marketplace: str,
                 category: str, estimated_hours: float) -> Prediction | None:
    """The prediction for one task's attributes, read in an open unit of work."""
    history = uow.history.ratios(agent=agent, marketplace=marketplace, category=category,
                                 scope=_scope(actor))
    return predict(estimated_hours, history)


def estimate_task(db: Database, actor: Actor, ref: str) -> tuple[Task, Prediction | None]:
    """A stored task and its predicted actual hours (None without enough history)."""
    from mpo.core.usecases.lookup import visible

    with refusals_recorded(db, actor, Verb.SHOW):
        permissions.require(actor, Verb.SHOW)
        with db.read() as uow:
            task = visible(uow, actor, ref)
            return task, predict_with(uow, actor, agent=task.created_by,
                                      marketplace=task.marketplace, category=task.category,
                                      estimated_hours=task.estimated_hours)


def estimate_draft(db: Database, actor: Actor, rules: Rules, *, marketplace: str | None,
                   category: str | None, estimated_hours: object,
                   agent: str | None = None) -> Prediction | None:
    """The predicted actual hours of a task not yet created; the agent defaults to the
    marketplace's (`marketplace-<name>`)."""
    with refusals_recorded(db, actor, Verb.SHOW):
        permissions.require(actor, Verb.SHOW)
        if marketplace is None and actor.role is Role.AGENT:
            marketplace = actor.marketplace
        mp = validation.one_of("marketplace", marketplace, list(rules.marketplaces))
        cat = validation.one_of("category", category, values(Category))
        hours = validation.hours("estimated-hours", estimated_hours)
        who = validation.name("created-by", agent) if agent else agent_name(mp)
        with db.read() as uow:
            if agent:
                _require_proposer(uow, who)
            return predict_with(uow, actor, agent=who, marketplace=mp, category=cat,
                                estimated_hours=hours)


def prediction_extra(db: Database, actor: Actor, task: Task) -> dict[str, Any]:
    """`{"prediction": {...}}` for a task's JSON, or `{}` without enough history: one small
    read, for `mpo create --json` and `mpo show`."""
    with db.read() as uow:
        found = predict_with(uow, actor, agent=task.created_by, marketplace=task.marketplace,
                             category=task.category, estimated_hours=task.estimated_hours)
    return {} if found is None else {"prediction": found.as_dict()}


def _require_proposer(uow: UnitOfWork, name: str) -> None:
    """Refuse a `--created-by` that names no active agent or master (as `create` does):
    a typo would otherwise predict from nobody's history, silently."""
    import difflib

    from mpo.core.domain.errors import ValidationError

    known = uow.principals.proposers()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        roles = " or ".join(sorted(r.value for r in permissions.PROPOSERS))
        raise ValidationError("created-by", f"no active {roles} named {name}"
                              + (f"; close: {', '.join(close)}" if close else ""))

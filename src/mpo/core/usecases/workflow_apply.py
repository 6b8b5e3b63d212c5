"""The lifecycle in force (`lifecycle_of`, read by every verb in its unit of work), and
`mpo workflow show` and `mpo workflow apply`: read and install a custom workflow.

Applying replaces the declared states and the edges derived from them in one transaction.
A state still holding tasks cannot be dropped (move them out first): nothing would lead
them anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mpo.core.domain import permissions
from mpo.core.domain.errors import Conflict
from mpo.core.domain.lifecycle import BUILTIN, Lifecycle
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.workflow import CustomState, derive, parse
from mpo.core.ports import Database, UnitOfWork
from mpo.core.usecases.identity import refusals_recorded


def show_workflow(db: Database, actor: Actor) -> tuple[Lifecycle, tuple[CustomState, ...]]:
    """The lifecycle in force and the states its workflow declares."""
    with refusals_recorded(db, actor, Verb.LIST):
        permissions.require(actor, Verb.LIST)
        with db.read() as uow:
            states = uow.workflow.states()
        return derive(states), states


def apply_workflow(db: Database, actor: Actor, document: Mapping[str, Any], *,
                   dry_run: bool = False) -> tuple[Lifecycle, tuple[CustomState, ...]]:
    """Install the workflow `document` declares (`{"states": []}` restores the built-in
    lifecycle); admins only."""
    with refusals_recorded(db, actor, Verb.WORKFLOW):
        permissions.require(actor, Verb.WORKFLOW)
        states = parse(document)
        lifecycle = derive(states)
        with (db.read() if dry_run else db.write()) as uow:
            dropped = [s.name for s in uow.workflow.states() if s.name not in lifecycle.statuses]
            held = uow.workflow.counts(dropped) if dropped else {}
            if held:
                where = ", ".join(f"{n} in {s}" for s, n in sorted(held.items()))
                raise Conflict(f"workflow: tasks are still in a state it drops ({where}); "
                               "move them out first (mpo move ID --to STATUS)")
            if not dry_run:
                uow.workflow.replace(states, lifecycle)
                uow.commit()
        return lifecycle, states


def known_statuses(db: Database, wanted: Sequence[str]) -> tuple[str, ...]:
    """The statuses a filter may name: the built-in ones, and (read only when a filter names
    another) those of the workflow in force."""
    if all(status in BUILTIN.statuses for status in wanted):
        return BUILTIN.statuses
    with db.read() as uow:
        return lifecycle_of(uow).statuses


def lifecycle_of(uow: UnitOfWork) -> Lifecycle:
    """The lifecycle in force in this unit of work's database."""
    return derive(uow.workflow.states())


"""The task an id or a prefix names, among those an actor may see.

An agent never learns another marketplace's ids: a task it may not see is "not found".
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mpo.core.domain import permissions
from mpo.core.domain.errors import AmbiguousId, MpoError, NotFound, UsageError
from mpo.core.domain.selection import prefix_bounds

if TYPE_CHECKING:
    from mpo.core.domain.permissions import Actor
    from mpo.core.ports import UnitOfWork
    from mpo.core.tables.models import Task


def may_see(actor: Actor, task: Task) -> bool:
    """Whether `actor` may see `task`: a marketplace-bound role sees its marketplace only."""
    return actor.role not in permissions.MARKETPLACE_BOUND or task.marketplace == actor.marketplace


def _resolve(uow: UnitOfWork, ref: str, actor: Actor, archived: bool = False) -> Task:
    """The one task an id prefix names, among those the actor may see (and, `archived`,
    among the archived ones when no live task matches)."""
    bounds = prefix_bounds(ref)
    if bounds is None:
        raise UsageError(f"{ref!r} is not a task id or a unique prefix of 4+ hex characters")
    bound = actor.role in permissions.MARKETPLACE_BOUND
    mine = actor.marketplace if bound else None
    matches = uow.tasks.by_prefix(*bounds, limit=3, marketplace=mine)
    if not matches and archived:
        matches = uow.archive.by_prefix(*bounds, limit=3, marketplace=mine)
    if not matches:
        raise NotFound(f"no task with id {ref}")
    if len(matches) > 1:
        shown = ", ".join(str(t.id) for t in matches[:2]) + (", ..." if len(matches) > 2 else "")
        raise AmbiguousId(f"id prefix {ref} matches several tasks ({shown}); give more characters")
    return matches[0]


def visible(uow: UnitOfWork, actor: Actor, ref: str, *, archived: bool = False) -> Task:
    """The task `ref` (an id or a unique prefix) names, if the actor may see it; with
    `archived`, an archived task too when no live one matches (reads: show, log)."""
    task = _resolve(uow, ref, actor, archived)
    if not may_see(actor, task):
        raise NotFound(f"no task with id {ref}")  # an agent cannot learn others' ids
    return task


def _full_id(ref: str) -> uuid.UUID | None:
    """The id `ref` spells out in full (32 hex digits, dashes optional), else None."""
    hex_ = ref.strip().lower().replace("-", "")
    if len(hex_) != 32:
        return None
    try:
        return uuid.UUID(hex_)
    except ValueError:
        return None


def resolve_all(
    uow: UnitOfWork, actor: Actor, refs: Sequence[str]
) -> list[tuple[str, Task | MpoError]]:
    """Each ref with its task or why it names none: full ids in one query, prefixes each."""
    full = {ref: _full_id(ref) for ref in refs}
    wanted = sorted({i for i in full.values() if i is not None})
    known = {t.id: t for t in uow.tasks.by_ids(wanted)} if wanted else {}
    resolved: list[tuple[str, Task | MpoError]] = []
    for ref in refs:
        task_id = full[ref]
        try:
            if task_id is None:
                resolved.append((ref, visible(uow, actor, ref)))
                continue
            task = known.get(task_id)
            if task is None or not may_see(actor, task):
                raise NotFound(f"no task with id {ref}")
            resolved.append((ref, task))
        except MpoError as exc:
            resolved.append((ref, exc))
    return resolved

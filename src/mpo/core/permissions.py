"""Who may do what: one permission table, plus the per-task rules it cannot express.

The table decides by role; `task_refusal` adds what depends on the task itself (an agent's
own marketplace, no self-approval, a member's own assignments).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mpo.core.errors import PermissionDenied
from mpo.core.validation import normalised
from mpo.core.vocabulary import Action

if TYPE_CHECKING:
    from mpo.core.models import Task
    from mpo.core.selection import TaskQuery


class Role(StrEnum):
    """What a principal is."""

    AGENT = "agent"
    MASTER = "master"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Verb(StrEnum):
    """Everything a principal can ask mpo to do."""

    CREATE = "create"
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    ASSIGN = "assign"
    START = "start"
    COMPLETE = "complete"
    LIST = "list"
    SHOW = "show"
    LOG = "log"
    STATS = "stats"
    MANAGE = "manage-principals"
    WATCH = "watch"
    WEBHOOKS = "manage-webhooks"
    NOTIFY = "notify"


_READ = frozenset({Verb.LIST, Verb.SHOW, Verb.WATCH})

PERMISSIONS: Mapping[Role, frozenset[Verb]] = {
    Role.AGENT: frozenset({Verb.CREATE}) | _READ,
    Role.MASTER: frozenset({Verb.CREATE, Verb.SUBMIT}) | _READ,
    Role.ADMIN: frozenset(Verb),
    Role.MEMBER: frozenset({Verb.START, Verb.COMPLETE}) | _READ,
    Role.VIEWER: frozenset({Verb.STATS, Verb.LOG}) | _READ,
}


@dataclass(frozen=True)
class Actor:
    """The principal a use case acts for; every audit event records its name."""

    name: str
    role: Role
    marketplace: str | None = None

    def may(self, verb: Verb) -> bool:
        """Whether the role allows `verb` at all."""
        return verb in PERMISSIONS[self.role]


def require(actor: Actor, verb: Verb) -> None:
    """Refuse a verb the actor's role does not allow."""
    if not actor.may(verb):
        allowed = ", ".join(sorted(v.value for v in PERMISSIONS[actor.role]))
        raise PermissionDenied(
            f"{actor.name} (role {actor.role}) may not {verb}; role {actor.role} may: {allowed}"
        )


def task_refusal(actor: Actor, action: Action, task: Task) -> str | None:
    """Why the actor may not apply `action` to this task, or None if it may."""
    if actor.role is Role.AGENT and task.marketplace != actor.marketplace:
        return (
            f"belongs to marketplace {task.marketplace}; "
            f"{actor.name} acts for {actor.marketplace}"
        )
    if action in (Action.APPROVE, Action.REJECT) and task.created_by == actor.name:
        return f"was created by {actor.name}; nobody may {action} their own task"
    if actor.role is Role.MEMBER:
        # A member may claim an unassigned approved task, and finish only their own.
        mine = (None, actor.name) if action is Action.START else (actor.name,)
        if task.assigned_to not in mine:
            return f"is assigned to {task.assigned_to or 'nobody'}, not {actor.name}"
    return None


def scope(actor: Actor, query: TaskQuery) -> TaskQuery:
    """The query an actor may run: agents see their own marketplace only."""
    if actor.role is not Role.AGENT or actor.marketplace is None:
        return query
    if query.marketplaces and set(query.marketplaces) != {actor.marketplace}:
        raise PermissionDenied(
            f"{actor.name} may only see marketplace {actor.marketplace}"
        )
    return replace(query, marketplaces=(actor.marketplace,))


def creation(actor: Actor, raw: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The draft as the actor may submit it, and whom it was created on behalf of.

    `created_by` comes from the principal; only master and admin may name another creator.
    """
    data = normalised(raw)
    claimed = data.get("created_by")
    if actor.role is Role.AGENT:
        if data.get("marketplace") not in (None, actor.marketplace):
            raise PermissionDenied(
                f"{actor.name} may only create tasks for marketplace {actor.marketplace}"
            )
        if claimed not in (None, actor.name):
            raise PermissionDenied(f"{actor.name} may not create tasks as {claimed}")
        data["marketplace"] = actor.marketplace
    elif claimed not in (None, actor.name) and actor.role not in (Role.MASTER, Role.ADMIN):
        raise PermissionDenied("only master or admin may create tasks for another agent")
    data["created_by"] = claimed or actor.name
    return data, (claimed if claimed not in (None, actor.name) else None)

"""Who may do what: one permission table, plus the per-task rules it cannot express.

The table decides by role; `task_refusal` adds what depends on the task itself (an agent's
own marketplace, no self-approval, a member's own assignments).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mpo.core.domain import teams
from mpo.core.domain.errors import PermissionDenied
from mpo.core.domain.lifecycle import TRANSITIONS, ActionSpec
from mpo.core.domain.validation import normalised
from mpo.core.domain.vocabulary import Action, Status

# A word of the domain (the tables' check constraints list it too, so it lives in the
# vocabulary); the permission table is keyed by it, so it is this module's too.
from mpo.core.domain.vocabulary import Role as Role

if TYPE_CHECKING:
    from mpo.core.domain.selection import TaskQuery
    from mpo.core.tables.models import Task


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
    IMPORT = "import"
    BACKUP = "backup"
    PLAN = "add-subtask"
    WORK = "work-subtask"
    REVIEW = "review-checkpoint"
    CANCEL = "cancel"
    UNDO = "undo"
    STATUS = "status"
    ROUTE = "route"
    TEMPLATE = "template"
    TICK = "tick"
    EXPIRE = "expire"
    WATCH = "watch"
    WEBHOOKS = "manage-webhooks"
    NOTIFY = "notify"
    CAMPAIGN = "campaign"
    WORKFLOW = "workflow"
    #: Execute work with leases: claim, heartbeat, release, note (and return lost leases).
    CLAIM = "claim"
    #: Move terminal tasks and their events to the archive tables (`mpo archive`).
    ARCHIVE = "archive"


_READ = frozenset({Verb.LIST, Verb.SHOW, Verb.WATCH})

PERMISSIONS: Mapping[Role, frozenset[Verb]] = {
    # Agents and the master execute what they claim (who may claim: the `executors` rules).
    Role.AGENT: frozenset({Verb.CREATE, Verb.SUBMIT, Verb.CANCEL, Verb.WORK, Verb.CLAIM,
                           Verb.COMPLETE}) | _READ,
    Role.MASTER: frozenset({Verb.CREATE, Verb.SUBMIT, Verb.STATUS, Verb.TICK, Verb.PLAN,
                            Verb.WORK, Verb.CAMPAIGN, Verb.CLAIM, Verb.COMPLETE}) | _READ,
    Role.ADMIN: frozenset(Verb),
    Role.MEMBER: frozenset({Verb.START, Verb.COMPLETE, Verb.REVIEW, Verb.CLAIM}) | _READ,
    Role.VIEWER: frozenset({Verb.STATS, Verb.LOG, Verb.STATUS}) | _READ,
}

#: Verbs a role may apply only to tasks it created itself, and the statuses they may
#: leave from: agents submit and cancel their own proposals, before approval.
OWN_ONLY: Mapping[Role, Mapping[Verb, frozenset[Status]]] = {
    Role.AGENT: {
        Verb.SUBMIT: frozenset({Status.PENDING}),
        Verb.CANCEL: frozenset({Status.PENDING, Status.AWAITING_APPROVAL}),
    },
}

#: Roles that may create a task on behalf of another principal (`create --created-by`).
ON_BEHALF: frozenset[Role] = frozenset({Role.MASTER, Role.ADMIN})
#: Roles whose principals may own a proposal made for them (the `--created-by` names).
PROPOSERS: frozenset[Role] = frozenset({Role.AGENT, Role.MASTER})
#: Roles bound to one marketplace: they read and write only its tasks.
MARKETPLACE_BOUND: frozenset[Role] = frozenset({Role.AGENT})
#: Roles that do work (`EXECUTING`) only on tasks assigned to them (or claimed through
#: `CLAIMS`).
ASSIGNEE_BOUND: frozenset[Role] = frozenset({Role.MEMBER, Role.AGENT, Role.MASTER})
#: Verbs that act on the whole organisation, not on tasks: an admin of a team other than
#: the default one (which covers every marketplace) may not use them (issue 25).
ORG_ONLY: frozenset[Verb] = frozenset({Verb.MANAGE, Verb.IMPORT, Verb.BACKUP, Verb.WEBHOOKS,
                                       Verb.WORKFLOW, Verb.TEMPLATE, Verb.ARCHIVE})
#: Actions that decide a proposal: nobody takes them on a task they proposed
#: (`lifecycle.ActionSpec.not_by_proposer`).
DECISIONS: frozenset[Action] = frozenset(a for a, s in TRANSITIONS.items() if s.not_by_proposer)
#: Actions an assignee-bound role may take on an unassigned task, claiming it.
CLAIMS: frozenset[Action] = frozenset({Action.START, Action.CLAIM})
#: Actions that do the work: an assignee-bound role takes them only on its own tasks.
EXECUTING: frozenset[Action] = frozenset({Action.START, Action.COMPLETE, Action.CLAIM,
                                          Action.HEARTBEAT, Action.RELEASE, Action.NOTE})


@dataclass(frozen=True)
class Actor:
    """The principal a use case acts for; every audit event records its name."""

    name: str
    role: Role
    marketplace: str | None = None
    #: Its team (None: the default team) and the marketplaces that team covers (None:
    #: every one); a team-bound actor reads and acts only on those (`mpo.core.domain.teams`).
    team: str | None = None
    markets: tuple[str, ...] | None = None

    def may(self, verb: Verb) -> bool:
        """Whether the role allows `verb` at all (an organisation-wide verb: only outside
        a team)."""
        return verb in PERMISSIONS[self.role] and not (verb in ORG_ONLY and self.team_bound)

    @property
    def team_bound(self) -> bool:
        """Whether its team limits it to some marketplaces."""
        return self.markets is not None


def require(actor: Actor, verb: Verb) -> None:
    """Refuse a verb the actor's role does not allow."""
    if actor.team_bound and verb in ORG_ONLY and verb in PERMISSIONS[actor.role]:
        raise PermissionDenied(
            f"{actor.name} acts for {teams.label(actor.team, actor.markets)}; {verb} needs an "
            f"organisation-wide {actor.role} (team {teams.DEFAULT})")
    if not actor.may(verb):
        allowed = ", ".join(sorted(v.value for v in PERMISSIONS[actor.role]))
        raise PermissionDenied(
            f"{actor.name} (role {actor.role}) may not {verb}; role {actor.role} may: {allowed}"
        )


def require_spec(actor: Actor, spec: ActionSpec) -> None:
    """Refuse an action the actor's role may not take at all: the permission table's verb
    (a custom workflow's `move` has none: its roles are checked per task)."""
    if spec.verb:
        require(actor, Verb(spec.verb))


def takers(spec: ActionSpec) -> tuple[Role, ...]:
    """The roles that may take an action at all, in the Role enum's order: those a custom
    workflow names, else those the permission table gives its verb."""
    if spec.roles is not None:
        return tuple(r for r in Role if r.value in spec.roles)
    return tuple(r for r in Role if Verb(spec.verb) in PERMISSIONS[r])


def limit(role: Role, spec: ActionSpec) -> str | None:
    """What bounds `role`'s use of an action beyond the table, in words (`own, from
    pending`), as `task_refusal` applies it; None when nothing does."""
    if spec.roles is not None:
        return None
    own = OWN_ONLY.get(role, {}).get(Verb(spec.verb))
    if own is not None:
        return "own, from " + " or ".join(s.value for s in Status if s in own)
    bounds = []
    if role in MARKETPLACE_BOUND:
        bounds.append("own marketplace")
    if role in ASSIGNEE_BOUND and spec.action in EXECUTING:
        bounds.append("unassigned or assigned to them" if spec.action in CLAIMS
                      else "assigned to them")
    return ", ".join(bounds) or None


def _with_limit(name: str, role: Role, spec: ActionSpec) -> str:
    bound = limit(role, spec)
    return f"{name} ({bound})" if bound else name


def who_may(spec: ActionSpec) -> list[str]:
    """The roles that may take an action, each with its limit: `agent (own, from
    pending)`, `master`, `admin` (the docs' role columns and `mpo roles` read this)."""
    return [_with_limit(role.value, role, spec) for role in takers(spec)]


def actions_of(role: Role, specs: Iterable[ActionSpec]) -> list[str]:
    """The actions among `specs` a role may take, each with its limit: `submit (own,
    from pending)`, `cancel (...)`."""
    return [_with_limit(spec.action, role, spec) for spec in specs if role in takers(spec)]


def outside_team(actor: Actor, task: Task) -> str | None:
    """Why the task is not the actor's team's to act on (issue 25), or None."""
    if teams.covers(actor.markets, task.marketplace):
        return None
    return (f"belongs to marketplace {task.marketplace}; {actor.name} acts for "
            f"{teams.label(actor.team, actor.markets)}")


def task_refusal(actor: Actor, action: Action | str | ActionSpec, task: Task) -> str | None:
    """Why the actor may not apply `action` to this task, or None if it may."""
    spec = action if isinstance(action, ActionSpec) else TRANSITIONS[Action(action)]
    name = spec.action
    if actor.role in MARKETPLACE_BOUND and task.marketplace != actor.marketplace:
        return (
            f"belongs to marketplace {task.marketplace}; "
            f"{actor.name} acts for {actor.marketplace}"
        )
    outside = outside_team(actor, task)
    if outside is not None:
        return outside
    if spec.roles is not None and actor.role.value not in spec.roles:
        label = f"move --to {spec.target}" if name == "move" else name
        return (f"is {task.status}; {label} needs role {' or '.join(sorted(spec.roles))}, "
                f"and {actor.name} is {actor.role}")
    own = OWN_ONLY.get(actor.role, {}).get(Verb(spec.verb)) if spec.roles is None else None
    if own is not None:
        if task.created_by != actor.name:
            return f"was created by {task.created_by}; {actor.name} may {name} only its own"
        if task.status not in own:
            allowed = ", ".join(s.value for s in Status if s in own)
            return f"is {task.status}; {actor.role} {actor.name} may {name} only from {allowed}"
    if spec.not_by_proposer and actor.name in (task.created_by, task.recorded_by):
        return f"was created by {actor.name}; nobody may {name} their own task"
    if spec.not_by_proposer and actor.name == task.authored_by:
        return (f"was made from a template {actor.name} wrote; nobody may {name} their own "
                "proposal")
    if spec.not_by_assignee and actor.name == task.assigned_to:
        return f"is assigned to {actor.name}; {name} needs someone other than who did the work"
    if actor.role in ASSIGNEE_BOUND and spec.roles is None and name in EXECUTING:
        # A member may claim an unassigned approved task, and finish only their own.
        mine = (None, actor.name) if name in CLAIMS else (actor.name,)
        if task.assigned_to not in mine:
            return f"is assigned to {task.assigned_to or 'nobody'}, not {actor.name}"
    return None


def scope(actor: Actor, query: TaskQuery) -> TaskQuery:
    """The query an actor may run: agents see their own marketplace only, a team-bound
    actor its team's."""
    if actor.markets is not None and not (actor.role is Role.AGENT and actor.marketplace):
        asked = set(query.marketplaces)
        if asked - set(actor.markets):
            raise PermissionDenied(f"{actor.name} may only see the marketplaces of "
                                   f"{teams.label(actor.team, actor.markets)}")
        return replace(query, marketplaces=query.marketplaces or actor.markets)
    if actor.role is not Role.AGENT or actor.marketplace is None:
        return query
    if query.marketplaces and set(query.marketplaces) != {actor.marketplace}:
        raise PermissionDenied(
            f"{actor.name} may only see marketplace {actor.marketplace}"
        )
    return replace(query, marketplaces=(actor.marketplace,))


def assignee_refusal(name: str, team: str | None, markets: tuple[str, ...] | None,
                     task: Task) -> str | None:
    """Why `name` (of `team`, covering `markets`) may not be given this task, or None:
    people are given only their team's work."""
    if teams.covers(markets, task.marketplace):
        return None
    return (f"belongs to marketplace {task.marketplace}; {name} is in "
            f"{teams.label(team, markets)}")


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
    elif claimed not in (None, actor.name) and actor.role not in ON_BEHALF:
        raise PermissionDenied("only master or admin may create tasks for another agent")
    market = data.get("marketplace")
    if isinstance(market, str) and not teams.covers(actor.markets, market):
        raise PermissionDenied(f"{actor.name} may only create tasks for the marketplaces of "
                               f"{teams.label(actor.team, actor.markets)}")
    data["created_by"] = claimed or actor.name
    if actor.role in (Role.AGENT, Role.MASTER):
        data.setdefault("source_type", "ai_generated")
    return data, (claimed if claimed not in (None, actor.name) else None)

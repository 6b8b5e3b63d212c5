"""Team use cases (issue 25): add and list teams, their members, and moving a principal
from one team to another. Organisation-wide admins manage teams (`permissions.ORG_ONLY`);
what a team limits is in `mpo.core.domain.permissions` and `mpo.core.domain.teams`."""

from __future__ import annotations

from dataclasses import dataclass

from mpo.core.domain import permissions, teams, validation
from mpo.core.domain.clock import utcnow
from mpo.core.domain.errors import Conflict, NotFound, PermissionDenied
from mpo.core.domain.permissions import Actor, Role, Verb
from mpo.core.domain.validation import Rules
from mpo.core.ports import Database, UnitOfWork
from mpo.core.tables.models import Principal
from mpo.core.tables.teams import Team
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.team_lookup import check_member, resolve


@dataclass(frozen=True)
class TeamRow:
    """A team, the marketplaces it covers (None: every one) and how many principals it has."""

    name: str
    marketplaces: tuple[str, ...] | None
    members: int
    created_at: object
    created_by: str | None


def add_team(db: Database, actor: Actor, name: str, marketplaces: str, rules: Rules) -> TeamRow:
    """Add a team covering some of the configured marketplaces (organisation admins)."""
    with refusals_recorded(db, actor, "team add"):
        permissions.require(actor, Verb.MANAGE)
        checked = validation.name("name", name)
        markets = teams.parse_marketplaces(marketplaces, rules.marketplaces)
        team = Team(name=checked, marketplaces=teams.stored(markets), created_at=utcnow(),
                    created_by=actor.name)
        with db.write() as uow:
            if uow.teams.by_name(checked) is not None:
                raise Conflict(f"a team named {checked} already exists")
            uow.teams.add(team)
            uow.commit()
        return TeamRow(checked, tuple(sorted(markets)), 0, team.created_at, actor.name)


def list_teams(db: Database, actor: Actor) -> list[TeamRow]:
    """Every team with its marketplaces and member count (anyone may read them)."""
    permissions.require(actor, Verb.LIST)
    with db.read() as uow:
        people = uow.principals.all() if actor.may(Verb.MANAGE) else []
        counts: dict[str | None, int] = {}
        for p in people:
            if p.revoked_at is None:
                counts[p.team] = counts.get(p.team, 0) + 1
        return [TeamRow(t.name, teams.loaded(t.marketplaces),
                        counts.get(None if t.name == teams.DEFAULT else t.name, 0),
                        t.created_at, t.created_by) for t in uow.teams.all()]


def members(db: Database, actor: Actor, name: str) -> list[Principal]:
    """The principals of a team (admins; a team's admin: its own team only)."""
    with refusals_recorded(db, actor, "team members"):
        permissions.require(actor, Verb.ASSIGN)
        with db.read() as uow:
            team, _ = resolve(uow, name)
            if actor.team_bound and team != actor.team:
                raise PermissionDenied(f"{actor.name} is in team {actor.team}; it may list "
                                       "only its own team's members")
            return uow.teams.members(team)


def move_principal(db: Database, actor: Actor, name: str, team_name: str) -> Principal:
    """Move a principal to another team (organisation admins); an admin moved into a team
    other than the default one becomes that team's admin."""
    with refusals_recorded(db, actor, "principal move"):
        permissions.require(actor, Verb.MANAGE)
        with db.write() as uow:
            target = uow.principals.by_name(name)
            if target is None:
                raise NotFound(f"no principal named {name}")
            team, markets = resolve(uow, team_name)
            check_member(target, team, markets)
            if (target.role == Role.ADMIN.value and team is not None and target.team is None
                    and uow.principals.count_active_admins() <= _team_admins(uow) + 1):
                raise Conflict(f"{name} is the last organisation-wide admin; add another "
                               "admin first")
            target.team = team
            uow.commit()
        return target


def _team_admins(uow: UnitOfWork) -> int:
    """How many active admins are bound to a team other than the default one."""
    return sum(1 for p in uow.principals.all()
               if p.role == Role.ADMIN.value and p.revoked_at is None and p.team is not None)

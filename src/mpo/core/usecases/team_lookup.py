"""Which team a name stands for, and whether a principal may join it (shared by the team
and principal use cases)."""

from __future__ import annotations

from collections.abc import Sequence

from mpo.core.domain import teams
from mpo.core.domain.errors import PermissionDenied, ValidationError
from mpo.core.domain.permissions import Actor, Role
from mpo.core.ports import UnitOfWork
from mpo.core.tables.models import Principal


def resolve(uow: UnitOfWork, name: str) -> tuple[str | None, tuple[str, ...] | None]:
    """The `principal.team` value for a team name (None for `default`) and its
    marketplaces; an unknown team is exit 2 naming the teams there are."""
    found = uow.teams.by_name(name)
    if found is None:
        known = ", ".join(t.name for t in uow.teams.all())
        raise ValidationError("team", f"{name!r} is not one of {known}; add it with "
                                      "`mpo team add NAME --marketplaces M,...`")
    markets = teams.loaded(found.marketplaces)
    return (None if found.name == teams.DEFAULT else found.name), markets


def check_member(principal: Principal, team: str | None,
                 markets: tuple[str, ...] | None) -> None:
    """An agent joins only a team that covers its marketplace."""
    if principal.role == Role.AGENT.value and principal.marketplace is not None and \
            not teams.covers(markets, principal.marketplace):
        raise ValidationError("team", f"{principal.name} acts for marketplace "
                                      f"{principal.marketplace}; {teams.label(team, markets)} "
                                      "does not cover it")


def narrowed(uow: UnitOfWork, actor: Actor, team: str | None,
             marketplaces: Sequence[str] = ()) -> tuple[str, ...]:
    """The marketplaces a report is about (empty: every one): those asked for, within
    `team`'s (`--team`) or, by default, the actor's own team's. A team-bound actor asking
    for another team or marketplace is refused."""
    markets = actor.markets
    if team is not None:
        name, markets = resolve(uow, team)
        if actor.team_bound and name != actor.team:
            raise PermissionDenied(f"{actor.name} is in team {actor.team}; it sees only its "
                                   "own team's work")
    if markets is None:
        return tuple(dict.fromkeys(marketplaces))
    outside = sorted(set(marketplaces) - set(markets))
    if outside:
        raise PermissionDenied(f"marketplace {outside[0]} is outside "
                               f"{teams.label(team or actor.team, markets)}")
    return tuple(dict.fromkeys(marketplaces)) or tuple(markets)

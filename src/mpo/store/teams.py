"""Teams in the database: the `team` table and who belongs to which (issue 25)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from mpo.core.tables.models import Principal
from mpo.core.tables.teams import Team


class SqlTeamRepository:
    """The store's implementation of `mpo.core.ports.TeamRepository`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[Team]:
        return list(self.session.scalars(select(Team).order_by(col(Team.name))))

    def by_name(self, name: str) -> Team | None:
        return self.session.get(Team, name)

    def add(self, team: Team) -> None:
        self.session.add(team)
        self.session.flush()

    def members(self, team: str | None) -> list[Principal]:
        """The principals of `team` (None: the default team), by name."""
        where = (col(Principal.team).is_(None) if team is None
                 else col(Principal.team) == team)
        return list(self.session.scalars(select(Principal).where(where)
                                          .order_by(col(Principal.name))))

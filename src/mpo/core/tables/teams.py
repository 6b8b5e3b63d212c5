"""The team table: a name and the marketplaces it covers (`mpo.core.domain.teams`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlmodel import Field, SQLModel

from mpo.core.domain.clock import utcnow
from mpo.core.tables.timestamps import UTCDateTime


class Team(SQLModel, table=True):
    """A team; `principal.team` names it (NULL: the `default` team)."""

    __tablename__ = "team"

    name: str = Field(sa_type=String(100), primary_key=True)
    #: A JSON list of marketplaces (`teams.stored`); NULL: every marketplace.
    marketplaces: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, sa_type=String(100))

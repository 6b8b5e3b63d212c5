"""The tables of the event stream's consumers: where each one has read up to.

A consumer (a `watch --consumer NAME`, a webhook) records the id of the last event it
delivered in the same database as the events, so a crash neither loses nor skips any.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, String
from sqlmodel import Field, SQLModel

from mpo.core.models import UTCDateTime, utcnow


class EventCursor(SQLModel, table=True):
    """The last event id a named consumer has delivered (at least once)."""

    __tablename__ = "event_cursor"

    consumer: str = Field(sa_type=String(100), primary_key=True)
    owner: str = Field(sa_type=String(100))
    last_event_id: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

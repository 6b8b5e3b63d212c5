"""The tables of the event stream's consumers: cursors, webhooks and their deliveries.

A consumer (a `watch --consumer NAME`, a webhook) records the id of the last event it
delivered in the same database as the events, so a crash neither loses nor skips any.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from mpo.core.domain.clock import utcnow
from mpo.core.tables.timestamps import UTCDateTime


class EventCursor(SQLModel, table=True):
    """The last event id a named consumer has delivered (at least once). A name is its
    owner's own: two principals' consumers of the same name are two cursors."""

    __tablename__ = "event_cursor"

    owner: str = Field(sa_type=String(100), primary_key=True)
    consumer: str = Field(sa_type=String(100), primary_key=True)
    last_event_id: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Webhook(SQLModel, table=True):
    """A URL that receives the events, signed with a secret kept in the keyring."""

    __tablename__ = "webhook"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_type=Text)
    #: The actions it receives; empty for all.
    events: list[str] = Field(default_factory=list, sa_type=JSON)
    secret_name: str = Field(sa_type=String(100))
    created_by: str = Field(sa_type=String(100))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: Its cursor: the last event queued for it (set to the newest when it is added).
    last_event_id: int = Field(default=0, sa_column=Column(
        BigInteger, nullable=False, server_default="0"))


class WebhookDelivery(SQLModel, table=True):
    """One event due to one webhook: pending (with its next attempt), delivered, or dead."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_event", "webhook_id", "event_id", unique=True),
        Index("ix_webhook_delivery_status", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="webhook.id")
    event_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    task_id: uuid.UUID
    status: str = Field(default="pending", sa_type=String(10))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=Text)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationSent(SQLModel, table=True):
    """A notification claimed for one channel and period: sent at most once, however
    often `mpo notify` runs."""

    __tablename__ = "notification_sent"

    channel: str = Field(sa_type=String(100), primary_key=True)
    period: str = Field(sa_type=String(100), primary_key=True)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

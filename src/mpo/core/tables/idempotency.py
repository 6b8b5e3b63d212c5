"""The idempotency keys of the write verbs: one row per principal and key, holding what the
request was (a digest) and what it answered, so a retry gets the first answer back.

A key is claimed in the transaction of the verb it names, before anything else is written:
a concurrent retry waits on that row and then finds the answer (docs/lifecycle.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from mpo.core.domain.clock import utcnow
from mpo.core.tables.timestamps import UTCDateTime


class IdempotencyKey(SQLModel, table=True):
    """A key one principal gave a write verb, the request's digest and the verb's answer."""

    __tablename__ = "idempotency_key"

    #: The principal's name (unique and never reused, like every audit event's actor).
    principal: str = Field(sa_type=String(100), primary_key=True)
    key: str = Field(sa_type=String(200), primary_key=True)
    #: SHA-256 of the request (verb, selection, values): another request is a conflict.
    request_hash: str = Field(sa_type=String(64))
    #: The first answer (NULL only inside the transaction that claimed the key).
    response_json: dict[str, Any] | None = Field(
        default=None, sa_column=Column("response_json", JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

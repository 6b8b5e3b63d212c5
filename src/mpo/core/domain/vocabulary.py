"""The words of the domain: statuses, categories, priorities, actions and their defaults.

Kept free of database imports so `mpo --help` and shell completion can use it cheaply.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache

#: A principal's, team's or template's name.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")


class Status(StrEnum):
    """Where a task stands in its lifecycle."""

    PENDING = "pending"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Role(StrEnum):
    """What a principal is (its permissions: `mpo.core.domain.permissions`)."""

    AGENT = "agent"
    MASTER = "master"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Category(StrEnum):
    """What kind of work a task is."""

    OPTIMIZATION = "optimization"
    BEST_PRACTICE = "best-practice"
    SCALING = "scaling"
    ANALYSIS = "analysis"


class Priority(StrEnum):
    """How urgent a task is."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Action(StrEnum):
    """What an audit event records; the lifecycle verbs plus create."""

    CREATE = "create"
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    ASSIGN = "assign"
    START = "start"
    COMPLETE = "complete"
    CANCEL = "cancel"
    UNDO = "undo"
    #: A move through a custom workflow's state (`mpo move`).
    MOVE = "move"
    #: Execution with leases (`mpo claim`, docs/claim.md).
    CLAIM = "claim"
    HEARTBEAT = "heartbeat"
    RELEASE = "release"
    NOTE = "note"
    LEASE_EXPIRED = "lease_expired"


class SourceType(StrEnum):
    """Where a task came from (the seed's `source_type`)."""

    AI_GENERATED = "ai_generated"
    MANUAL = "manual"
    SCHEDULED = "scheduled"


DEFAULT_MARKETPLACES: tuple[str, ...] = (
    "amazon",
    "shopee",
    "mercadolivre",
    "shein",
    "tiktokshop",
    "kaway",
)

#: The master orchestrator creates tasks for any marketplace under this agent name.
MASTER_AGENT = "marketplace-master"

DEFAULT_REJECTION_CODES: tuple[str, ...] = (
    "duplicate",
    "out-of-scope",
    "low-value",
    "needs-detail",
    "wrong-marketplace",
    "policy",
    "other",
)


#: Reason codes `mpo cancel --reason-code` accepts; `expired` is what `mpo expire` records.
DEFAULT_CANCEL_CODES: tuple[str, ...] = (
    "expired",
    "obsolete",
    "duplicate",
    "mistake",
    "other",
)


def agent_name(marketplace: str) -> str:
    """The conventional creator name of a marketplace's agent (`marketplace-amazon`)."""
    return f"marketplace-{marketplace}"


def values(enum: type[StrEnum]) -> list[str]:
    """The allowed values of an enum, in declaration order, for messages and completion."""
    return list(_values(enum))


@cache
def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)

"""Who a tool call acts for, and what it acts with: the same parts every door builds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mpo.config.settings import Settings
    from mpo.core.domain.permissions import Actor
    from mpo.core.domain.validation import Rules
    from mpo.core.usecases.ratelimit import RateLimits
    from mpo.store.database import SqlDatabase


@dataclass(frozen=True)
class Caller:
    """The authenticated principal, the database acting with its token (row-level security
    on PostgreSQL), the rules `mpo.bootstrap` made and the settings read for reports."""

    actor: Actor
    db: SqlDatabase
    rules: Rules
    settings: Settings
    #: The configured rate limits (checked by the create use case, in its transaction).
    limits: RateLimits | None

"""The ports of identity: principals (token checks, refusals on record) and their teams."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mpo.core.tables.models import Principal
    from mpo.core.tables.teams import Team


class PrincipalRepository(Protocol):
    """Principals, token checks, and the record of refused requests."""

    def authenticate(self, token: str) -> Principal | None:
        """The active principal holding `token` (with the certificate its token is bound
        to); on PostgreSQL this also binds the transaction's row-level-security context.
        None if unknown or revoked."""
        ...

    def markets(self, principal: Principal) -> tuple[str, ...] | None:
        """The marketplaces `principal`'s team covers; None: every one."""
        ...

    def bootstrap(self, principal: Principal) -> bool:
        """Insert the first principal; False (and nothing written) if any exists."""
        ...

    def add(self, principal: Principal) -> None: ...

    def by_name(self, name: str) -> Principal | None: ...

    def all(self) -> list[Principal]: ...

    def count_active_admins(self) -> int: ...

    def proposers(self) -> list[str]:
        """Names of the active principals a task may be created for (agents, the master)."""
        ...

    def record_denial(self, principal: str | None, verb: str, reason: str, *,
                      client: str | None = None, count: int = 1) -> None: ...


class TeamRepository(Protocol):
    """Teams (issue 25) and their members."""

    def all(self) -> list[Team]: ...

    def by_name(self, name: str) -> Team | None: ...

    def add(self, team: Team) -> None: ...

    def members(self, team: str | None) -> list[Principal]:
        """The principals of `team` (None: the default team), by name."""
        ...

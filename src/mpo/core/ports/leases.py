"""What claims need from storage (`mpo.core.usecases.claims`): the next claimable task and
the tasks whose lease ran out, each locked so that no two claims take the same one (the
store: `mpo.store.leases`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mpo.core.domain.executors import ClaimQuery
    from mpo.core.tables.models import Task


class LeaseStore(Protocol):
    """The claim queue of one unit of work."""

    def claimable(self, query: ClaimQuery) -> Task | None:
        """The first free task the query matches, locked; None when none is free now."""
        ...

    def lost(self, now: datetime, marketplace: str | None, limit: int) -> list[Task]:
        """Up to `limit` tasks in progress whose lease ran out by `now`, locked."""
        ...

    def soonest(self, marketplace: str | None) -> datetime | None:
        """When the next lease (in `marketplace` if given) runs out, if any is held."""
        ...

    def held(self) -> list[Task]:
        """Every task in progress under a lease, the soonest to run out first."""
        ...

"""What a dashboard refresh returns: the pipeline's numbers as of a change marker, and the
proposal that has waited longest (the use case: `mpo.core.usecases.dashboard`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Oldest:
    """The proposal that has waited longest for a decision."""

    task_id: uuid.UUID
    title: str
    marketplace: str
    since: datetime


@dataclass(frozen=True)
class Snapshot:
    """Everything the dashboard shows, as of change marker `marker`."""

    marker: int
    statuses: dict[str, int]
    awaiting: dict[str, int]
    oldest: Oldest | None
    approvals: list[tuple[date, int]]
    #: Each agent's last proposal this week, newest first; None for a quiet agent.
    agents: list[tuple[str, datetime | None]]

"""What `mpo status` reads and reports: the instants the store counts from, each agent's
line, the queue, and the report the store returns (the use case, `mpo.core.usecases.status`, adds
the approval rates, health and alerts)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class StatusQuery:
    """The instants the store counts from."""

    now: datetime
    today: date
    today_start: datetime
    week_start: datetime
    approval_since: datetime
    stale_before: datetime
    #: Only these marketplaces' tasks and agents (a team's); empty: every one.
    marketplaces: tuple[str, ...] = ()


@dataclass
class AgentStatus:
    """One agent's line."""

    agent: str
    marketplace: str | None
    last_created_at: datetime | None
    tasks_today: int
    tasks_7d: int
    approved_30d: int
    rejected_30d: int
    started_30d: int = 0
    completed_30d: int = 0
    approval_rate: float | None = None
    #: `mpo.core.domain.health.score` over 30 days (0-100, 1 place), None without any component.
    health_score: float | None = None
    #: `mpo.core.domain.health.band` of the score; `unknown` without one.
    health: str = "unknown"


@dataclass
class Queue:
    """How much work waits where."""

    pending: int = 0
    awaiting_approval: int = 0
    approved_unassigned: int = 0
    in_progress: int = 0
    overdue: int = 0
    stale: int = 0
    #: Tasks in each state a custom workflow added (docs/workflow.md).
    custom: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    """Who holds which task, since when and for how much longer (`mpo claim`)."""

    task_id: str
    title: str
    marketplace: str
    holder: str | None
    claimed_at: datetime | None
    lease_expires_at: datetime | None
    #: Seconds until the lease runs out; 0 or less: lost (the next claim returns the task).
    lease_left_s: int


@dataclass
class StatusReport:
    """What the store returns, and the alerts and claims the core adds."""

    agents: list[AgentStatus]
    queue: Queue
    alerts: list[dict[str, Any]] = field(default_factory=list)
    generated_at: datetime | None = None
    claims: list[Claim] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The `--json` document."""
        return {"generated_at": self.generated_at, "agents": [asdict(a) for a in self.agents],
                "queue": asdict(self.queue), "claims": [asdict(c) for c in self.claims],
                "alerts": self.alerts}

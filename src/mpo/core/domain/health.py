"""Agent health: approval rate, completion rate and speed combined into one score and a
band (docs/stats.md, "Agent health"). Pure functions, so `mpo stats`, `mpo status` and any
program score agents the same way.

The seed's performance monitor weighted them 0.5 / 0.3 / 0.2 but rewarded slowness; here a
faster agent scores higher.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Weights of approval rate, completion rate and speed.
WEIGHTS = (0.5, 0.3, 0.2)
#: Lowest score of each band, best first; below the last is "poor".
BANDS = ((85.0, "excellent"), (70.0, "good"), (60.0, "fair"))
POOR = "poor"
#: An agent scoring below this holds the pipeline up.
BOTTLENECK = 50.0


def band(score: float) -> str:
    """The health band of a 0-100 score: excellent >= 85, good >= 70, fair >= 60, else poor."""
    return next((name for lowest, name in BANDS if score >= lowest), POOR)


def speed(mean_hours: float | None, reference_hours: float | None) -> float | None:
    """Speed on 0-100: 100 at or below the reference execution time (the median of all
    agents' mean started-to-completed hours), `100 * reference / mean` when slower (twice
    as slow scores 50). None when either is unknown."""
    if mean_hours is None or reference_hours is None:
        return None
    if mean_hours <= reference_hours:
        return 100.0
    return 100.0 * reference_hours / mean_hours


def score(approval_rate: float | None, completion_rate: float | None,
          speed_score: float | None) -> float | None:
    """0-100: `100 * (0.5 approval + 0.3 completion) + 0.2 speed`, rates in 0-1 and speed in
    0-100. A component that is unknown (no decisions, nothing started, nothing completed)
    is left out and the others' weights scaled up to sum to 1; None if all are unknown."""
    parts = [(w, v) for w, v in zip(WEIGHTS, (
        None if approval_rate is None else 100.0 * approval_rate,
        None if completion_rate is None else 100.0 * completion_rate,
        speed_score), strict=True) if v is not None]
    if not parts:
        return None
    return sum(w * v for w, v in parts) / sum(w for w, _ in parts)


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones), or None."""
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(frozen=True)
class AgentHealth:
    """One agent's components, score, band and bottleneck flag."""

    agent: str
    approval_rate: float | None
    completion_rate: float | None
    mean_execution_hours: float | None
    speed: float | None
    score: float | None

    def as_dict(self) -> dict[str, Any]:
        """The agent's row of the stats document's `health` list."""
        def r(v: float | None, places: int) -> float | None:
            return None if v is None else round(v, places)

        shown = r(self.score, 1)  # band and flag follow the score as shown
        return {
            "agent": self.agent,
            "score": shown,
            "band": None if shown is None else band(shown),
            "bottleneck": shown is not None and shown < BOTTLENECK,
            "approval_rate": r(self.approval_rate, 4),
            "completion_rate": r(self.completion_rate, 4),
            "mean_execution_hours": r(self.mean_execution_hours, 3),
            "speed": r(self.speed, 1),
        }


def agents(counts: Mapping[str, tuple[int, int, int, int]],
           execution: Mapping[str, tuple[int, float]]) -> list[AgentHealth]:
    """Health of each agent from its window counts (approved, rejected, started, completed)
    and its (completed, mean started-to-completed hours). Completion rate is completed /
    started in the window, at most 1."""
    reference = median([mean for _, mean in execution.values()])
    result = []
    for agent in sorted(set(counts) | set(execution)):
        approved, rejected, started, completed = counts.get(agent, (0, 0, 0, 0))
        approval = approved / (approved + rejected) if approved + rejected else None
        completion = min(1.0, completed / started) if started else None
        mean = execution[agent][1] if agent in execution else None
        fast = speed(mean, reference)
        result.append(AgentHealth(agent, approval, completion, mean, fast,
                                  score(approval, completion, fast)))
    return result

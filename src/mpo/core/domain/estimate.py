"""Effort prediction: how many hours a task will really take, learnt from the tasks
completed before it (docs/estimate.md).

The model is a ratio, not a regression, so anyone can check it by hand: the median of
actual/estimated hours in the task's group, shrunk toward the broader group when the group
has few tasks. Groups, broadest first: every task (global) -> the same marketplace and
category -> the same agent and category. With `n` tasks in a group and a parent value `p`
(both in log space, where ratios multiply), the group's value is
`(n * median + PRIOR * p) / (n + PRIOR)`: a group of PRIOR tasks counts half. The interval
is the p10-p90 spread of the most specific group with at least `SPREAD_MIN` tasks, around
the prediction. Light at import: no database libraries.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: Completed tasks needed (in the broadest group) before anything is predicted.
MIN_HISTORY = 5
#: Pseudo-tasks of the parent group every group starts with (the shrinkage strength).
PRIOR = 5.0
#: The most recent completed tasks read per group: recent work is the better guide, and
#: the read stays bounded however long the history grows.
SAMPLE = 200
#: Tasks a group needs before its own spread gives the interval.
SPREAD_MIN = 5
PLACES = 2


class Level(StrEnum):
    """A group of completed tasks, broadest first."""

    GLOBAL = "global"
    MARKETPLACE_CATEGORY = "marketplace+category"
    AGENT_CATEGORY = "agent+category"


@dataclass(frozen=True)
class History:
    """The actual/estimated ratios of recent completed tasks in each group of one task."""

    everything: Sequence[float]
    marketplace_category: Sequence[float]
    agent_category: Sequence[float]

    def of(self, level: Level) -> Sequence[float]:
        """The ratios of one group."""
        return {Level.GLOBAL: self.everything,
                Level.MARKETPLACE_CATEGORY: self.marketplace_category,
                Level.AGENT_CATEGORY: self.agent_category}[level]


@dataclass(frozen=True)
class LevelFit:
    """One group's evidence: its size, its own median ratio, and the ratio after shrinkage."""

    level: Level
    n: int
    median_ratio: float | None
    ratio: float


@dataclass(frozen=True)
class Prediction:
    """Predicted actual hours, the p10-p90 interval, and the groups it rests on."""

    estimated_hours: float
    predicted_hours: float
    low_hours: float
    high_hours: float
    ratio: float
    n: int
    levels: tuple[LevelFit, ...]

    def as_dict(self) -> dict[str, Any]:
        """The prediction as JSON (docs/estimate.md)."""
        return {
            "estimated_hours": self.estimated_hours,
            "predicted_hours": round(self.predicted_hours, PLACES),
            "p10_hours": round(self.low_hours, PLACES),
            "p90_hours": round(self.high_hours, PLACES),
            "ratio": round(self.ratio, 4),
            "n": self.n,
            "levels": [
                {"level": f.level.value, "n": f.n,
                 "median_ratio": None if f.median_ratio is None else round(f.median_ratio, 4),
                 "ratio": round(f.ratio, 4)}
                for f in self.levels
            ],
        }


def quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values, by linear interpolation (like `percentile_cont`)."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _logs(ratios: Sequence[float]) -> list[float]:
    return sorted(math.log(r) for r in ratios if r > 0)


def predict(estimated_hours: float, history: History) -> Prediction | None:
    """The predicted actual hours of a task estimated at `estimated_hours`, or None while
    fewer than `MIN_HISTORY` tasks have been completed."""
    broadest = _logs(history.everything)
    if len(broadest) < MIN_HISTORY:
        return None
    value = quantile(broadest, 0.5)
    fits = [LevelFit(Level.GLOBAL, len(broadest), math.exp(value), math.exp(value))]
    spread = broadest
    for level in (Level.MARKETPLACE_CATEGORY, Level.AGENT_CATEGORY):
        logs = _logs(history.of(level))
        median = None
        if logs:
            own = quantile(logs, 0.5)
            value = (len(logs) * own + PRIOR * value) / (len(logs) + PRIOR)
            median = math.exp(own)
        if len(logs) >= SPREAD_MIN:
            spread = logs
        fits.append(LevelFit(level, len(logs), median, math.exp(value)))
    centre = quantile(spread, 0.5)
    ratio = math.exp(value)
    specific = next(f.n for f in reversed(fits) if f.n)
    return Prediction(
        estimated_hours=estimated_hours,
        predicted_hours=estimated_hours * ratio,
        low_hours=estimated_hours * math.exp(value + quantile(spread, 0.1) - centre),
        high_hours=estimated_hours * math.exp(value + quantile(spread, 0.9) - centre),
        ratio=ratio,
        n=specific,
        levels=tuple(fits),
    )

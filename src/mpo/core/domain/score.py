"""The priority score of `mpo list --sort score`: a weighted sum of five terms, each 0-1,
so every task's score can be explained term by term (docs/score.md).

    priority   high 1, medium 0.5, low 0
    age        days since created / 14, at most 1
    due        0 without a due date; 1 - days left / 14, between 0 and 1 (overdue: 1)
    approval   the creating agent's approval rate over all time (0.5 without decisions)
    effort     quick wins first: 1 / (1 + predicted hours / 8) (8 h: 0.5)

Pure and deterministic: the caller passes plain values and the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from mpo.core.domain.errors import ValidationError

PRIORITY_TERM = {"high": 1.0, "medium": 0.5, "low": 0.0}
#: Age at which the age term is full, and the horizon over which a due date draws near.
AGE_FULL = timedelta(days=14)
DUE_HORIZON = timedelta(days=14)
#: The approval term of an agent without decisions yet.
NEUTRAL_APPROVAL = 0.5
#: Predicted hours at which the effort term is one half.
EFFORT_HALF_HOURS = 8.0


@dataclass(frozen=True)
class Weights:
    """How much each term counts; the score is at most their sum (100 by default)."""

    priority: float = 40.0
    age: float = 20.0
    due: float = 25.0
    approval: float = 10.0
    effort: float = 5.0

    def text(self) -> str:
        """The config spelling: `priority=40,age=20,...`."""
        return ",".join(f"{f.name}={getattr(self, f.name):g}" for f in fields(self))


TERMS = tuple(f.name for f in fields(Weights))
DEFAULT_WEIGHTS = Weights().text()


def parse_weights(text: str) -> Weights:
    """Weights from `name=number,...`; names not given keep their defaults. Refuses unknown
    names and numbers that are negative or not finite."""
    given: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, sep, raw = part.partition("=")
        name = name.strip()
        if not sep or name not in TERMS:
            raise ValidationError("score_weights", f"{part!r}: expected NAME=NUMBER with NAME "
                                  f"one of {', '.join(TERMS)}")
        try:
            value = float(raw)
        except ValueError:
            raise ValidationError("score_weights", f"{name}: {raw.strip()!r} is not a "
                                  "number") from None
        if not value >= 0 or value == float("inf"):
            raise ValidationError("score_weights", f"{name}: must be a number >= 0, got {raw}")
        given[name] = value
    return Weights(**given)


@dataclass(frozen=True)
class Score:
    """A task's score and each term's contribution (weight x term); they sum to `total`."""

    total: float
    contributions: Mapping[str, float]


def terms(*, priority: str, created_at: datetime, due_date: datetime | None,
          approval_rate: float | None, predicted_hours: float, now: datetime
          ) -> dict[str, float]:
    """The five terms of a task, each between 0 and 1."""
    age = max(timedelta(0), now - created_at)
    due = 0.0
    if due_date is not None:
        left = due_date - now
        due = 1.0 if left <= timedelta(0) else max(0.0, 1.0 - left / DUE_HORIZON)
    return {
        "priority": PRIORITY_TERM[priority],
        "age": min(1.0, age / AGE_FULL),
        "due": due,
        "approval": NEUTRAL_APPROVAL if approval_rate is None else approval_rate,
        "effort": 1.0 / (1.0 + max(0.0, predicted_hours) / EFFORT_HALF_HOURS),
    }


def score(*, priority: str, created_at: datetime, due_date: datetime | None,
          approval_rate: float | None, predicted_hours: float, now: datetime,
          weights: Weights) -> Score:
    """The weighted sum of a task's terms, with each contribution."""
    found = terms(priority=priority, created_at=created_at, due_date=due_date,
                  approval_rate=approval_rate, predicted_hours=predicted_hours, now=now)
    contributions = {name: getattr(weights, name) * value for name, value in found.items()}
    return Score(sum(contributions.values()), contributions)

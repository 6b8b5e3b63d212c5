"""The priority score, computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mpo.core.errors import ValidationError
from mpo.core.score import DEFAULT_WEIGHTS, Weights, parse_weights, score

NOW = datetime(2026, 3, 10, tzinfo=UTC)
DAY = timedelta(days=1)


def test_a_hand_computed_score_and_its_contributions() -> None:
    # high 1 x 40; 7 of 14 days old 0.5 x 20; due in 7 of 14 days 0.5 x 25; approval
    # 0.8 x 10; 8 predicted hours -> 1 / (1 + 8/8) = 0.5 x 5.
    found = score(priority="high", created_at=NOW - 7 * DAY, due_date=NOW + 7 * DAY,
                  approval_rate=0.8, predicted_hours=8.0, now=NOW, weights=Weights())
    assert found.contributions == pytest.approx(
        {"priority": 40, "age": 10, "due": 12.5, "approval": 8, "effort": 2.5})
    assert found.total == pytest.approx(73.0)


def test_no_due_date_contributes_nothing_and_overdue_everything() -> None:
    common = {"priority": "low", "created_at": NOW - 30 * DAY, "approval_rate": None,
              "predicted_hours": 24.0, "now": NOW, "weights": Weights()}
    undated = score(due_date=None, **common)  # type: ignore[arg-type]
    # low 0; older than 14 days 1 x 20; no due date 0; no decisions 0.5 x 10; 24 h ->
    # 1 / (1 + 3) = 0.25 x 5.
    assert undated.contributions == pytest.approx(
        {"priority": 0, "age": 20, "due": 0, "approval": 5, "effort": 1.25})
    overdue = score(due_date=NOW - DAY, **common)  # type: ignore[arg-type]
    assert overdue.contributions["due"] == 25
    far = score(due_date=NOW + 30 * DAY, **common)  # type: ignore[arg-type]
    assert far.contributions["due"] == 0


def test_weights_parse_by_name_and_keep_the_other_defaults() -> None:
    assert parse_weights("priority=60, effort=0") == Weights(priority=60, effort=0)
    assert parse_weights(DEFAULT_WEIGHTS) == Weights()
    assert Weights().text() == "priority=40,age=20,due=25,approval=10,effort=5"


@pytest.mark.parametrize("text", ["speed=1", "priority", "age=x", "due=-1", "due=nan"])
def test_bad_weights_name_the_field_and_the_allowed_names(text: str) -> None:
    with pytest.raises(ValidationError, match="score_weights"):
        parse_weights(text)

"""The priority score, computed by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mpo.core.domain.errors import ValidationError
from mpo.core.domain.score import DEFAULT_WEIGHTS, Score, Weights, parse_weights, score
from mpo.core.domain.selection import TaskQuery
from mpo.core.usecases.ranking import rank_tasks
from mpo.store.database import SqlDatabase
from tests.builders import ADMIN, RULES, make_task

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


def test_a_stored_due_date_counts_until_midnight_after_it_in_the_configured_zone(
        db: SqlDatabase) -> None:
    """The due term of `mpo list --sort score`, through the ranking use case: a due date
    ends at midnight after it in `timezone`."""
    due = datetime.now(UTC).date() + 10 * DAY
    task = make_task(db, priority="high", estimated_hours=8, due_date=due.isoformat())
    assert task.due_date == due
    # Seven days before midnight UTC after the due date: 7 of 14 days left -> 0.5.
    now = datetime(due.year, due.month, due.day, tzinfo=UTC) + DAY - 7 * DAY
    weights = Weights(age=0)  # the age depends on when the test runs

    def rank(zone: str) -> Score:
        ranked = rank_tasks(db, ADMIN, TaskQuery(), replace(RULES, timezone=zone), weights,
                            clock=lambda: now)
        assert [r.task.id for r in ranked] == [task.id]
        return ranked[0].score

    # high 1 x 40; age weighted 0; due 0.5 x 25; no decisions 0.5 x 10; 8 h (no history)
    # -> 0.5 x 5.
    utc = rank("UTC")
    assert utc.contributions == pytest.approx(
        {"priority": 40, "age": 0, "due": 12.5, "approval": 5, "effort": 2.5})
    assert utc.total == pytest.approx(60.0)
    # In Sao Paulo (UTC-3, no DST) the day ends 3 h later: 7 d 3 h left ->
    # 1 - 7.125 / 14 = 0.49107... x 25 = 12.2768.
    assert rank("America/Sao_Paulo").contributions["due"] == pytest.approx(
        25 * (1 - 7.125 / 14))
    # Overdue from midnight after it: the term is full.
    late = rank_tasks(db, ADMIN, TaskQuery(), RULES, weights, clock=lambda: now + 7 * DAY)
    assert late[0].score.contributions["due"] == 25

"""Agent health: the pure scoring, and the `health` rows of `mpo stats`, by hand."""

from __future__ import annotations

import pytest

from mpo.core.domain import health
from mpo.core.domain.validation import Rules
from mpo.core.usecases.stats import stats
from mpo.store.database import SqlDatabase
from tests.migrated import upgrade
from tests.stats_fixture import ADMIN, at, build


@pytest.mark.parametrize(("score", "band"), [
    (100, "excellent"), (85, "excellent"), (84.99, "good"), (70, "good"), (69.9, "fair"),
    (60, "fair"), (59.9, "poor"), (0, "poor")])
def test_bands_start_at_85_70_and_60(score: float, band: str) -> None:
    assert health.band(score) == band


def test_the_score_weighs_approval_completion_and_speed_5_3_2() -> None:
    assert health.score(0.8, 0.5, 50.0) == pytest.approx(40 + 15 + 10)
    assert health.score(1.0, 1.0, 100.0) == pytest.approx(100)
    # unknown components drop out and the rest are scaled: (0.5 * 80 + 0.2 * 50) / 0.7
    assert health.score(0.8, None, 50.0) == pytest.approx(50 / 0.7)
    assert health.score(None, None, None) is None


def test_faster_than_the_reference_scores_100_and_twice_as_slow_50() -> None:
    assert health.speed(2.0, 4.0) == 100.0
    assert health.speed(4.0, 4.0) == 100.0
    assert health.speed(8.0, 4.0) == pytest.approx(50.0)
    assert health.speed(None, 4.0) is None


def test_stats_reports_each_agents_health(database_url: str) -> None:
    upgrade(database_url)
    build(database_url)
    doc = stats(SqlDatabase(database_url), ADMIN, Rules(), day="2026-03-02",
                clock=lambda: at(30)).document()
    rows = {h["agent"]: h for h in doc["health"]}
    # amazon: approved A B J K, rejected F -> 0.8; started A B J, completed A B -> 2/3;
    # executions 4 h and 2 h -> mean 3 h. shopee: 1 of 2 approved; D started and completed,
    # 6 h. Reference: the median of 3 and 6 = 4.5 -> amazon 100, shopee 100 * 4.5 / 6 = 75.
    amazon, shopee, master = (rows[f"marketplace-{n}"] for n in ("amazon", "shopee", "master"))
    assert (amazon["approval_rate"], amazon["completion_rate"], amazon["speed"]) == \
        (0.8, 0.6667, 100.0)
    assert (amazon["score"], amazon["band"], amazon["bottleneck"]) == (80.0, "good", False)
    assert (shopee["speed"], shopee["score"], shopee["band"]) == (75.0, 70.0, "good")
    # master: one rejection, nothing started: the approval rate alone, 0 -> a bottleneck
    assert (master["score"], master["band"], master["bottleneck"]) == (0.0, "poor", True)

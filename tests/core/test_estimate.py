"""The effort model, checked against hand-computed cases."""

from __future__ import annotations

import math

import pytest

from mpo.core.domain.estimate import History, Level, predict, quantile


def test_nothing_is_predicted_before_five_completed_tasks() -> None:
    assert predict(4.0, History([1.0] * 4, [1.0] * 4, [1.0] * 4)) is None


def test_quantiles_interpolate_like_percentile_cont() -> None:
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.1) == pytest.approx(1.3)
    assert quantile([1.0, 2.0, 3.0, 4.0], 0.5) == pytest.approx(2.5)
    assert quantile([7.0], 0.9) == 7.0


def test_a_small_group_is_shrunk_halfway_to_its_parent() -> None:
    # global median ratio 1 (log 0); five marketplace tasks at ratio 2 (log ln2):
    # (5 * ln2 + 5 * 0) / (5 + 5) = ln2 / 2, a ratio of sqrt(2).
    found = predict(10.0, History([1, 1, 1, 1, 2], [2.0] * 5, []))
    assert found is not None
    assert found.ratio == pytest.approx(math.sqrt(2))
    assert found.predicted_hours == pytest.approx(10 * math.sqrt(2))
    # the marketplace group has no spread: the interval is the point
    assert (found.low_hours, found.high_hours) == pytest.approx((14.1421, 14.1421), rel=1e-4)
    assert found.n == 5
    assert [(f.level, f.n) for f in found.levels] == [
        (Level.GLOBAL, 5), (Level.MARKETPLACE_CATEGORY, 5), (Level.AGENT_CATEGORY, 0)]


def test_the_agent_group_refines_the_marketplace_group() -> None:
    # global log 0; marketplace: 5 at ratio 2 -> ln2/2; agent: 15 at ratio 4 (log 2 ln2):
    # (15 * 2ln2 + 5 * ln2/2) / 20 = (30 + 2.5) ln2 / 20 = 1.625 ln2.
    found = predict(2.0, History([1.0] * 9, [2.0] * 5, [4.0] * 15))
    assert found is not None
    assert found.ratio == pytest.approx(2 ** 1.625)
    assert found.n == 15
    assert found.as_dict()["levels"][2] == {"level": "agent+category", "n": 15,
                                           "median_ratio": 4.0, "ratio": round(2 ** 1.625, 4)}


def test_the_interval_is_the_groups_p10_to_p90_around_the_prediction() -> None:
    # one group of ratios 1..10 (global and everything the same): median 5.5 in ratio terms
    # is exp(mean of ln5, ln6); the interval shifts the prediction by the p10/p90 offsets.
    ratios = [float(r) for r in range(1, 11)]
    found = predict(1.0, History(ratios, [], []))
    assert found is not None
    logs = sorted(math.log(r) for r in ratios)
    centre = quantile(logs, 0.5)
    assert found.predicted_hours == pytest.approx(math.exp(centre))
    assert found.low_hours == pytest.approx(math.exp(quantile(logs, 0.1)))
    assert found.high_hours == pytest.approx(math.exp(quantile(logs, 0.9)))
    assert found.low_hours < found.predicted_hours < found.high_hours

"""`mpo.core.usecases.stats`: every number of a report, computed by hand from `tests/stats_fixture`,
on SQLite and PostgreSQL; the window rules; empty windows; time zones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mpo.core.domain.errors import PermissionDenied, UsageError, ValidationError
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.stats_query import MAX_DAYS, resolve_window
from mpo.core.domain.timeparse import day_span, local_days, parse_duration
from mpo.core.domain.validation import Rules
from mpo.core.usecases.stats import stats
from mpo.store.database import SqlDatabase
from tests.migrated import upgrade
from tests.pg_app import module_database
from tests.stats_fixture import ADMIN, at, build

NOW = at(30)  # D+1 06:00 UTC, after the whole history
SAO_PAULO = "America/Sao_Paulo"  # UTC-3 all year since 2019


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest,
       tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlDatabase]:
    """The hand-built history, on each database: built once for the module, as every test
    only reads it (a denied read records its denial, which no report counts)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('stats') / 'mpo.db'}"
        upgrade(url)
        build(url)
        yield SqlDatabase(url)
        return
    with module_database() as url:
        upgrade(url)
        build(url)
        database = SqlDatabase(url)
        yield database
        database.engine.dispose()


def report(db: SqlDatabase, **options: Any) -> dict[str, Any]:
    options.setdefault("backlog_age", "12h")
    return stats(db, ADMIN, Rules(), clock=lambda: NOW, **options).document()


def rows(doc: dict[str, Any], section: str = "groups") -> dict[str | None, dict[str, Any]]:
    return {r["key"]: r for r in doc[section]}


def test_a_day_of_work_adds_up_to_the_hand_computed_numbers(db: SqlDatabase) -> None:
    doc = report(db, day="2026-03-02")

    assert doc["schema_version"] == 1
    assert doc["window"] == {"since": "2026-03-02T00:00:00+00:00",
                             "until": "2026-03-03T00:00:00+00:00", "timezone": "UTC",
                             "days": 1.0}
    # Now: A B D completed; C E F rejected; G pending; H awaiting; J in progress; K L approved.
    assert doc["pipeline"]["now"] == {"pending": 1, "awaiting_approval": 1, "approved": 2,
                                      "rejected": 3, "in_progress": 1, "completed": 3,
                                      "cancelled": 0}
    # In D: created all but K (created the day before); submitted all but G and K;
    # approved A B D J and K (at exactly 00:00), not L (at exactly 24:00).
    assert doc["pipeline"]["window"] == {"created": 10, "submitted": 9, "approved": 5,
                                         "rejected": 3, "started": 4, "completed": 3}
    approval = doc["approval"]
    assert (approval["decided"], approval["approved"], approval["rejected"]) == (8, 5, 3)
    assert approval["rate"] == 0.625  # 5 / (5 + 3)
    # submitted -> decided: A 2, B 6, C 1, D 10, E 4, F 1, J 9, K 1 -> 1 1 1 2 4 6 9 10.
    # median: position 0.5 * 7 = 3.5 -> (2 + 4) / 2; p90: 0.9 * 7 = 6.3 -> 9 + 0.3 * (10 - 9).
    assert approval["turnaround_hours"] == {"n": 8, "median": 3.0, "p90": 9.3}
    # Completed in D: A, B, D. started -> completed: 4, 2, 6; approved -> completed: 5, 2, 7.
    # p90 of three: position 1.8 -> second + 0.8 * (third - second).
    execution = doc["execution"]
    assert execution["started_to_completed_hours"] == {"n": 3, "median": 4.0, "p90": 5.6}
    assert execution["approved_to_completed_hours"] == {"n": 3, "median": 5.0, "p90": 6.6}
    # accuracy: A 1 - 1/4 = 0.75, B 1.0, D max(0, 1 - 2/1) = 0 -> mean 1.75 / 3;
    # actual/estimated: 1.25, 1.0, 3.0; within ±20%: only B.
    assert doc["estimates"] == {
        "completed": 3, "accuracy_mean": round(1.75 / 3, 4), "within_20_share": 0.3333,
        "ratio": {"n": 3, "median": 1.25, "p90": 2.65},  # 1.25 + 0.8 * (3.0 - 1.25)
    }
    assert doc["rejections"] == {
        "codes": [{"code": "duplicate", "count": 2}, {"code": "low-value", "count": 1}],
        "top_reasons": [{"reason": "same as A", "count": 2},
                        {"reason": "not worth it", "count": 1}],
    }
    assert doc["volume"] == [{"day": "2026-03-02", "marketplace": "amazon", "created": 6},
                             {"day": "2026-03-02", "marketplace": "shopee", "created": 4}]


def test_backlog_counts_what_waits_longer_than_the_threshold(db: SqlDatabase) -> None:
    backlog = report(db, day="2026-03-02")["backlog"]  # now D+1 06:00, threshold 12 h

    assert backlog["older_than_hours"] == 12.0
    awaiting, running = backlog["awaiting_approval"], backlog["in_progress"]
    # H awaits since D 05:00 (25 h), J runs since D 21:00 (9 h).
    assert (awaiting["count"], awaiting["older_than"]) == (1, 1)
    assert awaiting["oldest"]["since"] == at(5).isoformat()
    assert awaiting["oldest"]["age_hours"] == 25.0
    assert (running["count"], running["older_than"]) == (1, 0)
    assert running["oldest"]["age_hours"] == 9.0


def test_groups_per_marketplace_and_per_agent(db: SqlDatabase) -> None:
    doc = report(db, day="2026-03-02")
    groups = rows(doc)

    assert list(groups) == ["amazon", "shopee"]
    # amazon: created A B E F G J (est 4 2 8 3 6 5), approved A B J K, rejected E F,
    # completed A B (accuracy 0.75, 1.0; B within 20%).
    assert groups["amazon"] == {
        "key": "amazon", "created": 6, "submitted": 5, "approved": 4, "rejected": 2,
        "started": 3, "completed": 2, "approval_rate": 0.6667, "created_per_day": 6.0,
        "mean_estimated_hours": 4.667, "accuracy_mean": 0.875, "within_20_share": 0.5,
    }
    # shopee: created C D H L (est 10 1 2 4), approved D, rejected C, completed D (0.0).
    assert groups["shopee"] == {
        "key": "shopee", "created": 4, "submitted": 4, "approved": 1, "rejected": 1,
        "started": 1, "completed": 1, "approval_rate": 0.5, "created_per_day": 4.0,
        "mean_estimated_hours": 4.25, "accuracy_mean": 0.0, "within_20_share": 0.0,
    }
    agents = rows(doc, "agents")
    assert list(agents) == ["marketplace-amazon", "marketplace-master", "marketplace-shopee"]
    # marketplace-amazon: created A B F G J (est 4 2 3 6 5), approved A B J K, rejected F.
    amazon = agents["marketplace-amazon"]
    assert (amazon["created"], amazon["created_per_day"], amazon["approval_rate"],
            amazon["mean_estimated_hours"], amazon["accuracy_mean"]) == (5, 5.0, 0.8, 4.0,
                                                                         0.875)
    master = agents["marketplace-master"]  # only E, rejected: nothing completed
    assert (master["created"], master["approval_rate"], master["mean_estimated_hours"],
            master["accuracy_mean"]) == (1, 0.0, 8.0, None)
    assert agents["marketplace-shopee"]["accuracy_mean"] == 0.0


def test_groups_per_assignee_keep_the_unassigned_apart(db: SqlDatabase) -> None:
    groups = rows(report(db, day="2026-03-02", by="assignee"))

    assert list(groups) == ["ana", "bruno", None]
    assert (groups["ana"]["created"], groups["ana"]["completed"],
            groups["ana"]["accuracy_mean"]) == (2, 2, 0.875)
    assert (groups["bruno"]["approved"], groups["bruno"]["started"],
            groups["bruno"]["completed"]) == (2, 2, 1)
    # Unassigned: created C E F G H L, approved K, rejected C E F.
    nobody = groups[None]
    assert (nobody["created"], nobody["approved"], nobody["rejected"],
            nobody["approval_rate"], nobody["mean_estimated_hours"],
            nobody["accuracy_mean"]) == (6, 1, 3, 0.25, 5.5, None)


def test_groups_per_day_put_each_event_on_its_own_day(db: SqlDatabase) -> None:
    doc = report(db, since="2026-03-01", until="2026-03-03T12:00", by="day")
    days = rows(doc)

    assert list(days) == ["2026-03-01", "2026-03-02", "2026-03-03"]
    # D-1 holds K's creation and submission; D the rest; D+1 (half of it) L's approval.
    assert (days["2026-03-01"]["created"], days["2026-03-01"]["submitted"],
            days["2026-03-01"]["approved"]) == (1, 1, 0)
    assert days["2026-03-02"]["approved"] == 5
    assert days["2026-03-02"]["mean_estimated_hours"] == 4.5  # 45 h over 10 tasks
    last = days["2026-03-03"]
    assert (last["created"], last["approved"], last["approval_rate"]) == (0, 1, 1.0)
    assert last["created_per_day"] == 0.0 and last["mean_estimated_hours"] is None
    assert doc["pipeline"]["window"]["approved"] == 6  # the days add up to the window


def test_category_and_priority_groups_hold_everything_here(db: SqlDatabase) -> None:
    assert list(rows(report(db, day="2026-03-02", by="category"))) == ["optimization"]
    assert rows(report(db, day="2026-03-02", by="priority"))["medium"]["created"] == 10


def test_an_event_at_the_window_start_counts_and_one_at_its_end_does_not(
    db: SqlDatabase,
) -> None:
    before = report(db, day="2026-03-01")["pipeline"]["window"]
    after = report(db, day="2026-03-03")

    assert (before["created"], before["submitted"], before["approved"]) == (1, 1, 0)
    assert after["pipeline"]["window"]["approved"] == 1  # L, at 2026-03-03T00:00 exactly
    assert after["approval"]["turnaround_hours"] == {"n": 1, "median": 1.0, "p90": 1.0}


def test_an_empty_window_reports_nulls_not_zeros(db: SqlDatabase) -> None:
    doc = report(db, day="2026-01-15")

    assert doc["pipeline"]["window"] == dict.fromkeys(
        ("created", "submitted", "approved", "rejected", "started", "completed"), 0)
    assert doc["approval"]["rate"] is None
    assert doc["approval"]["turnaround_hours"] == {"n": 0, "median": None, "p90": None}
    assert doc["execution"]["started_to_completed_hours"]["median"] is None
    assert doc["estimates"]["accuracy_mean"] is None
    assert doc["estimates"]["within_20_share"] is None
    assert doc["rejections"] == {"codes": [], "top_reasons": []}
    assert doc["groups"] == doc["agents"] == doc["volume"] == []
    assert doc["pipeline"]["now"]["completed"] == 3  # "now" ignores the window


def test_the_marketplace_filter_narrows_every_section(db: SqlDatabase) -> None:
    doc = report(db, day="2026-03-02", marketplaces=["shopee"])

    assert doc["marketplaces"] == ["shopee"]
    assert doc["pipeline"]["now"] == {"pending": 0, "awaiting_approval": 1, "approved": 1,
                                      "rejected": 1, "in_progress": 0, "completed": 1,
                                      "cancelled": 0}
    assert doc["approval"]["turnaround_hours"] == {"n": 2, "median": 5.5, "p90": 9.1}
    assert doc["execution"]["started_to_completed_hours"] == {"n": 1, "median": 6.0,
                                                              "p90": 6.0}
    assert doc["rejections"]["codes"] == [{"code": "duplicate", "count": 1}]
    assert doc["backlog"]["in_progress"] == {"count": 0, "older_than": 0, "oldest": None}
    assert list(rows(doc)) == ["shopee"]


def test_the_time_zone_decides_what_yesterday_means(db: SqlDatabase) -> None:
    # At D+1 02:00 UTC it is still D 23:00 in São Paulo: its yesterday is D-1.
    late = at(26)
    utc = stats(db, ADMIN, Rules(), day="yesterday", clock=lambda: late).document()
    local = stats(db, ADMIN, Rules(), day="yesterday", zone=SAO_PAULO,
                  clock=lambda: late).document()

    assert utc["window"]["since"] == "2026-03-02T00:00:00+00:00"
    assert local["window"]["since"] == "2026-03-01T03:00:00+00:00"
    assert local["window"]["until"] == "2026-03-02T03:00:00+00:00"
    # São Paulo's D-1 ends at D 03:00 UTC: K (created D-1 22:00) and the D 01:00 batch.
    assert local["pipeline"]["window"]["created"] == 10
    assert local["pipeline"]["window"]["approved"] == 1  # K at D 00:00 UTC


def test_a_viewer_may_read_stats_and_a_member_may_not(db: SqlDatabase) -> None:
    viewer = stats(db, Actor("v", Role.VIEWER), Rules(), day="2026-03-02", clock=lambda: NOW)
    assert viewer.document()["pipeline"]["window"]["created"] == 10
    with pytest.raises(PermissionDenied, match="may not stats"):
        stats(db, Actor("m", Role.MEMBER), Rules(), day="2026-03-02")


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"day": "yesterday", "since": "-7d"}, UsageError, "--day, or --since/--until"),
    ({"since": "2026-03-02", "until": "2026-03-01"}, ValidationError, "since: .* not before"),
    ({"since": "2000-01-01"}, ValidationError, f"at most {MAX_DAYS} days"),
    ({"since": "last tuesday"}, ValidationError, "since: 'last tuesday' is not"),
    ({"zone": "Mars/Olympus"}, ValidationError, "tz: 'Mars/Olympus' is not an IANA"),
])
def test_windows_that_cannot_be_read_are_refused(options: dict[str, Any],
                                                 error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        resolve_window(now=NOW, **options)


def test_bad_options_are_refused_before_the_database_is_read() -> None:
    for options, message in (({"by": "colour"}, "by: 'colour' is not one of"),
                             ({"marketplaces": ["ebay"]}, "marketplace: 'ebay' is not one"),
                             ({"backlog_age": "soon"}, "backlog-age: 'soon' is not")):
        with pytest.raises(ValidationError, match=message):
            stats(None, ADMIN, Rules(), **options)  # type: ignore[arg-type]


def test_the_default_window_is_the_last_30_days_from_local_midnight() -> None:
    window = resolve_window(now=datetime(2026, 3, 31, 15, 30, tzinfo=UTC), zone=SAO_PAULO)

    assert window.since == datetime(2026, 3, 1, 3, tzinfo=UTC)
    assert window.until == datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
    assert len(window.days) == 31 and window.days[-1].until == window.until


def test_a_day_across_a_dst_change_is_23_hours_long() -> None:
    zone = ZoneInfo("America/New_York")
    since, until = day_span("day", "2026-03-08", zone)  # clocks spring forward

    assert until - since == timedelta(hours=23)
    assert [(d, lo.hour, hi.hour) for d, lo, hi in local_days(since, until, zone)] == [
        (since.astimezone(zone).date(), 5, 4)]


def test_durations_are_hours_days_or_weeks() -> None:
    assert parse_duration("backlog-age", "36h") == timedelta(hours=36)
    assert parse_duration("backlog-age", "2w") == timedelta(weeks=2)
    with pytest.raises(ValidationError, match="backlog-age: '3 days' is not a duration"):
        parse_duration("backlog-age", "3 days")


def test_the_stats_sql_and_report_spell_no_status_by_hand() -> None:
    """Statuses come from `mpo.core.domain.vocabulary`, never retyped (issue 11, defect 9)."""
    import ast
    import importlib
    import inspect

    from mpo.core.domain.vocabulary import Status

    tallies = {"approved", "rejected", "completed"}  # event counts, named like statuses
    for name in ("mpo.store.stats_sql", "mpo.store.stats_queries", "mpo.store.stats_sqlite",
                 "mpo.core.usecases.stats", "mpo.core.domain.stats_query",
                 "mpo.core.domain.stats_report", "mpo.core.tables.stats_indexes",
                 "mpo.report.text", "mpo.report.html", "mpo.report.svg"):
        tree = ast.parse(inspect.getsource(importlib.import_module(name)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for status in Status:
                    assert f"'{status.value}'" not in node.value, (name, node.value)
                    assert node.value != status.value or status.value in tallies, (
                        name, node.value)

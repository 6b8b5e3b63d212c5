"""Instants as people type them, read in a time zone, returned as UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mpo.core.domain.errors import ValidationError
from mpo.core.domain.timeparse import FORMS, parse_instant

SAO_PAULO = ZoneInfo("America/Sao_Paulo")  # UTC-3, no daylight saving since 2019
NOW = datetime(2026, 3, 15, 1, 30, tzinfo=UTC)  # still 14 March in Sao Paulo


def parse(text: str, zone: ZoneInfo = SAO_PAULO) -> datetime:
    return parse_instant("since", text, zone, now=NOW)


def test_now_is_now() -> None:
    assert parse("now") == NOW


def test_today_and_yesterday_start_at_midnight_in_the_zone() -> None:
    assert parse("today") == datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
    assert parse("yesterday") == datetime(2026, 3, 13, 3, 0, tzinfo=UTC)
    assert parse("TODAY", ZoneInfo("UTC")) == datetime(2026, 3, 15, tzinfo=UTC)


def test_this_month_starts_on_the_first_in_the_zone() -> None:
    assert parse("this-month") == datetime(2026, 3, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "delta"), [
    ("-12h", timedelta(hours=12)), ("-7d", timedelta(days=7)), ("-4w", timedelta(weeks=4)),
    ("-0d", timedelta()), ("-10m", timedelta(minutes=10)), ("-30s", timedelta(seconds=30))])
def test_relative_forms_count_back_from_now(text: str, delta: timedelta) -> None:
    assert parse(text) == NOW - delta


def test_an_iso_date_is_midnight_in_the_zone() -> None:
    assert parse("2026-01-31") == datetime(2026, 1, 31, 3, 0, tzinfo=UTC)


def test_a_naive_iso_time_is_read_in_the_zone_and_an_offset_is_kept() -> None:
    assert parse("2026-01-31T10:00") == datetime(2026, 1, 31, 13, 0, tzinfo=UTC)
    assert parse("2026-01-31T10:00+01:00") == datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert parse("2026-01-31T10:00Z") == datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


def test_results_are_utc() -> None:
    for text in ("today", "-1d", "2026-01-31", "2026-01-31T10:00+05:00"):
        assert parse(text).utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["soon", "7d", "-7y", "2026-13-01", "31/01/2026", ""])
def test_anything_else_is_an_error_naming_the_field_and_the_forms(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(text)
    assert caught.value.field == "since"
    assert FORMS in caught.value.message


def test_one_duration_syntax_everywhere() -> None:
    """Issue 24: `mpo log --since -10m` was refused while `wait --timeout 10m` worked."""
    from mpo.core.domain.timeparse import parse_duration

    assert parse_duration("older-than", "10m") == timedelta(minutes=10)
    assert parse_duration("older-than", "90s") == timedelta(seconds=90)

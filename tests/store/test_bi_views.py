"""The BI views (docs/bi.md) on both databases, read as a BI tool reads them (the SQLite
file read-only, PostgreSQL as an `mpo_bi` login), on the demo's week: their columns are
the documented contract (names, order, types), and they give `mpo stats --json`'s numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from mpo.config import urls
from mpo.store import bi_views, migrate
from mpo.store.bi_views import VIEWS
from mpo.store.migrations import HEAD
from tests.bi_world import bi_revision, reader, rows, upgrade_to, week
from tests.pg_app import module_database

DOC = (Path(__file__).parents[2] / "docs" / "bi.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of the `## title` section of docs/bi.md."""
    start = DOC.index(f"\n## {title}\n")
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end if end > 0 else None]


def table(text: str, header: str) -> list[list[str]]:
    """The body rows of the first table in `text` whose header starts with `header`."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(header))
    body = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        body.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))])
    return body


def documented(view: str) -> list[tuple[str, str]]:
    """(column, type) of `view`, in the doc's order."""
    return [(name.strip("`"), kind)
            for name, kind, _ in table(section(f"`{view}`"), "| column | type |")]


#: type -> (PostgreSQL's data_type names, SQLite's storage class), from the doc's own table.
TYPES = {kind: (set(re.findall(r"`([a-z ]+)`", pg)), sqlite.split(",")[0].strip())
         for kind, pg, sqlite in table(section("Types"), "| type | PostgreSQL |")}


def test_the_doc_documents_each_view_with_known_types() -> None:
    assert set(TYPES) == {"text", "integer", "real", "timestamp", "date"}
    for view in VIEWS:
        columns = documented(view)
        assert columns, view
        assert len({name for name, _ in columns}) == len(columns), view
        assert {kind for _, kind in columns} <= set(TYPES), view


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[str, str]]:
    """The week, once per module and database: (url, the admin's token)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bi') / 'mpo.db'}"
        yield url, week(url)
        return
    with module_database() as url:
        yield url, week(url)


@pytest.fixture
def world(built: tuple[str, str]) -> str:
    return built[0]


def _pg_columns(conn: Any, view: str) -> list[tuple[str, str]]:
    return [(str(n), str(t)) for n, t in conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s "
        "ORDER BY ordinal_position", (view,)).fetchall()]


def _sqlite_columns(conn: Any, view: str) -> list[tuple[str, set[str]]]:
    """(column, the storage classes of its non-null values) of an SQLite view."""
    names = [row[1] for row in conn.execute(f"PRAGMA table_info({view})")]
    return [(name, {t for t, in conn.execute(
        f'SELECT DISTINCT typeof("{name}") FROM {view} WHERE "{name}" IS NOT NULL')})
        for name in names]


def _formatted(conn: Any, view: str, name: str, kind: str) -> None:
    """SQLite's text times and days are in the documented formats."""
    parse: Any = ({"timestamp": lambda v: datetime.strptime(v, "%Y-%m-%d %H:%M:%S.%f"),
                   "date": date.fromisoformat}).get(kind)
    if parse is None:
        return
    for value, in conn.execute(f'SELECT "{name}" FROM {view} WHERE "{name}" IS NOT NULL'):
        parse(value)


@pytest.mark.parametrize("view", VIEWS)
def test_each_views_columns_and_types_are_the_documented_ones(world: str, view: str) -> None:
    expected = documented(view)
    with reader(world) as conn:
        if urls.is_sqlite(world):
            found = _sqlite_columns(conn, view)
            assert [n for n, _ in found] == [n for n, _ in expected]
            for (name, classes), (_, kind) in zip(found, expected, strict=True):
                assert classes <= {TYPES[kind][1]}, (view, name, classes, kind)
                _formatted(conn, view, name, kind)
            filled = {name for name, classes in found if classes}
        else:
            columns = _pg_columns(conn, view)
            assert [n for n, _ in columns] == [n for n, _ in expected]
            for (name, data_type), (_, kind) in zip(columns, expected, strict=True):
                assert data_type in TYPES[kind][0], (view, name, data_type, kind)
            filled = {n for n, _ in columns}
    # The week fills nearly every column (the doc's types are checked on real values).
    assert len(filled) >= len(expected) - 1, set(dict(expected)) - filled


# --- the views agree with `mpo stats --json` -------------------------------------------

EVENTS = ("created", "submitted", "approved", "rejected", "started", "completed")
SUMS = (*EVENTS, "decided", "estimated_hours", "accuracy_sum", "within_20", "executed",
        "execution_hours")
FIRST = date(2026, 3, 2)
#: The whole week, then each of its UTC days.
WINDOWS = [(FIRST, date(2026, 3, 10))] + [
    (date(2026, 3, d), date(2026, 3, d + 1)) for d in range(2, 10)]


def close(reported: float | None, exact: float | None, places: int) -> bool:
    """`reported` is `exact` rounded to `places` decimals (null when `exact` is)."""
    if reported is None or exact is None:
        return reported is exact
    return abs(reported - exact) <= 0.5 * 10 ** -places + 1e-9


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def percentile(values: list[float], p: float) -> float | None:
    """PostgreSQL's percentile_cont, as docs/stats.md defines it."""
    if not values:
        return None
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def summed(daily: list[dict[str, Any]], key: str, since: date, until: date
           ) -> dict[Any, dict[str, float]]:
    """The daily rows in [since, until) added up per `key` (a column, or None: all)."""
    sums: dict[Any, dict[str, float]] = {}
    for row in daily:
        if since <= row["day"] < until:
            group = sums.setdefault(row[key] if key else None, dict.fromkeys(SUMS, 0.0))
            for name in SUMS:
                group[name] += row[name]
    return sums


def check_group(reported: dict[str, Any], sums: dict[str, float], days: float) -> None:
    """A group row of `mpo stats` against the sums of its daily rows."""
    assert {n: reported[n] for n in EVENTS} == {n: int(sums[n]) for n in EVENTS}
    for name, exact, places in (
            ("approval_rate", ratio(sums["approved"], sums["decided"]), 4),
            ("created_per_day", sums["created"] / days, 3),
            ("mean_estimated_hours", ratio(sums["estimated_hours"], sums["created"]), 3),
            ("accuracy_mean", ratio(sums["accuracy_sum"], sums["completed"]), 4),
            ("within_20_share", ratio(sums["within_20"], sums["completed"]), 4)):
        assert close(reported[name], exact, places), (reported["key"], name, exact)


def check_spreads(report: dict[str, Any], tasks: list[dict[str, Any]], since: datetime,
                  until: datetime) -> None:
    """The median and p90 of each duration, from `bi_tasks`' rows in the window."""
    def values(stamp: str, column: str) -> list[float]:
        return [t[column] for t in tasks if t[stamp] is not None
                and since <= t[stamp] < until and t[column] is not None]

    for spread, stamp, column in (
            (report["approval"]["turnaround_hours"], "decided_at", "turnaround_hours"),
            (report["execution"]["started_to_completed_hours"], "completed_at",
             "execution_hours"),
            (report["execution"]["approved_to_completed_hours"], "completed_at",
             "approved_to_completed_hours"),
            (report["estimates"]["ratio"], "completed_at", "estimate_ratio")):
        found = values(stamp, column)
        assert spread["n"] == len(found), column
        assert close(spread["median"], percentile(found, 0.5), 3), column
        assert close(spread["p90"], percentile(found, 0.9), 3), column


def test_the_views_give_the_numbers_of_stats_json(
        built: tuple[str, str], runner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url, token = built
    monkeypatch.setenv("MPO_DATABASE_URL", url)
    monkeypatch.setenv("MPO_TOKEN", token)
    with reader(url) as conn:
        daily, tasks = rows(conn, "bi_daily"), rows(conn, "bi_tasks")
    assert len(tasks) == 49 and len(daily) > 40  # the week is all there, in many rows
    checked = 0
    for since, until in WINDOWS:
        start, end = (datetime(d.year, d.month, d.day, tzinfo=UTC) for d in (since, until))
        days = (until - since).days
        for by in ("marketplace", "agent"):
            report = runner.json("stats", "--since", since.isoformat(), "--until",
                                 until.isoformat(), "--tz", "UTC", "--by", by)
            groups = summed(daily, by, since, until)
            assert {g["key"] for g in report["groups"]} == set(groups), (since, by)
            for group in report["groups"]:
                check_group(group, groups[group["key"]], days)
                checked += 1
        total = summed(daily, "", since, until).get(None, dict.fromkeys(SUMS, 0.0))
        assert report["pipeline"]["window"] == {n: int(total[n]) for n in EVENTS}
        assert report["approval"]["decided"] == total["decided"]
        assert close(report["estimates"]["accuracy_mean"],
                     ratio(total["accuracy_sum"], total["completed"]), 4)
        assert close(report["estimates"]["within_20_share"],
                     ratio(total["within_20"], total["completed"]), 4)
        check_spreads(report, tasks, start, end)
        volume = summed([r | {"cell": (r["day"].isoformat(), r["marketplace"])}
                         for r in daily], "cell", since, until)
        assert {(v["day"], v["marketplace"]): v["created"] for v in report["volume"]
                if v["created"]} == {k: v["created"] for k, v in volume.items() if v["created"]}
        codes = Counter(t["rejection_code"] for t in tasks
                        if t["rejected_at"] is not None and start <= t["rejected_at"] < end)
        assert {c["code"]: c["count"] for c in report["rejections"]["codes"]} == codes
        agents = summed(daily, "agent", since, until)
        for health in report["health"]:
            sums = agents[health["agent"]]
            assert close(health["mean_execution_hours"],
                         ratio(sums["execution_hours"], sums["executed"]), 3)
    assert checked > 50
    now = runner.json("stats")["pipeline"]["now"]
    assert {s: n for s, n in now.items() if n} == Counter(t["status"] for t in tasks)


def test_an_upgrade_with_views_already_there_makes_them_again(database_url: str) -> None:
    """`mpo db upgrade` takes the views away while later revisions run, then makes them
    again: here over views an older mpo left, which the BI revision would collide with."""
    _bi, before = bi_revision()
    upgrade_to(database_url, before)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        bi_views.create(connection)
    assert migrate.upgrade(database_url) == (before, HEAD)
    with engine.connect() as connection:
        assert bi_views.present(connection)
        assert connection.exec_driver_sql("SELECT count(*) FROM bi_daily").scalar() == 0
    engine.dispose()

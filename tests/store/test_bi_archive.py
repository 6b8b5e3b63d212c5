"""The BI views read archived rows too (issues 25): `mpo archive` moves terminal tasks out
of the live tables, and the views, like `mpo stats`, count them as before."""

from __future__ import annotations

import pytest

from tests.bi_world import reader, rows, week
from tests.conftest import MpoRunner
from tests.readback import timeless


def test_archiving_changes_no_row_of_any_view(
        runner: MpoRunner, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token = week(database_url)
    monkeypatch.setenv("MPO_DATABASE_URL", database_url)
    monkeypatch.setenv("MPO_TOKEN", token)

    def views() -> dict[str, list[dict[str, object]]]:
        with reader(database_url) as conn:
            return {view: sorted(rows(conn, view), key=repr)
                    for view in ("bi_tasks", "bi_events", "bi_daily")}

    def stats() -> object:
        return timeless(runner.json("stats", "--since", "2026-03-01", "--until",
                                    "2026-03-10", "--tz", "UTC", "--by", "agent"))

    before, reported = views(), stats()
    moved = runner.json("archive", "--before", "1d", "--json")
    assert moved["tasks"] > 10 and moved["events"] > moved["tasks"]
    assert views() == before
    assert stats() == reported

"""The dashboard's and the report's queries on PostgreSQL, as an `mpo_app` login (not the
owner: row-level security applies), agreeing with the hand-checked history."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from mpo.cli.context import AppContext
from mpo.core.usecases.dashboard import marker, snapshot
from mpo.core.usecases.distributions import histograms
from mpo.core.usecases.identity import authenticate
from mpo.store.database import SqlDatabase
from tests.conftest import MpoRunner
from tests.stats_fixture import D, build

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_url(runner: MpoRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[tuple[str, str]]:
    """The history in a fresh database, the admin's token, and a URL for an app login."""
    monkeypatch.setenv("MPO_DATABASE_URL", pg_url)
    assert runner("init", "--admin", "root").exit_code == 0
    build(pg_url)
    token = AppContext().credential.token
    role = f"mpo_test_{uuid.uuid4().hex[:10]}"
    owner = pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE mpo_app')
    yield pg_url.replace("postgres@", f"{role}@", 1), token
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_dashboard_and_histograms_as_an_app_login(app_url: tuple[str, str]) -> None:
    url, token = app_url
    db = SqlDatabase(url, token=token)
    actor = authenticate(db, token)
    shot = snapshot(db, actor, clock=lambda: D.replace(hour=23))
    assert shot.marker == marker(db, actor) > 0
    assert sum(shot.statuses.values()) == 11
    assert shot.awaiting == {"shopee": 1}  # H; G was never submitted
    assert shot.oldest is not None and shot.oldest.title == "task H"
    spans = histograms(db, actor, D, D.replace(day=3))
    assert spans.turnaround == [0, 4, 4, 0, 0, 0, 0, 0]
    assert spans.execution == [0, 1, 2, 0, 0, 0, 0, 0]

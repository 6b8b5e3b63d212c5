"""An unauthenticated flood (issue 22, finding 11): refusals are rate-limited by client
address (401 up to the gate's limit, then 429 with Retry-After) and recorded coalesced, one
row per address and window with its count, without losing the count (a clean stop records
what is pending). On both databases; on PostgreSQL the server is an `mpo_app` login."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mpo.core.domain.refusal_gate import RefusalGate
from tests.http.conftest import Served, _postgres, sqlite
from tests.readback import fetch

FLOOD = 100
LIMIT = RefusalGate().limit


@pytest.fixture(params=["sqlite", "postgres"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """A server of this test's own (its refusal counts start at zero)."""
    started = sqlite(tmp_path) if request.param == "sqlite" else _postgres(tmp_path)
    yield next(started)
    started.close()


def test_a_flood_without_credentials_is_limited_and_recorded_coalesced(fresh: Served) -> None:
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=fresh.url, timeout=30) as anonymous:
        for n in range(FLOOD):
            headers = {"Authorization": "Bearer mpo_wrong"} if n % 2 else {}
            response = anonymous.get("/api/v1/tasks", headers=headers)
            statuses[response.status_code] += 1
            if response.status_code == 429:
                assert int(response.headers["Retry-After"]) >= 1
                assert response.json()["type"] == "urn:mpo:problem:rate-limited"
    assert statuses == Counter({401: LIMIT, 429: FLOOD - LIMIT})
    owner = fresh.owner_url
    rows = fetch(owner, "SELECT client, count FROM access_denial WHERE principal IS NULL")
    assert len(rows) <= 2  # the first one at once; the rest at the window's end or stop
    fresh.process.terminate()
    fresh.process.wait(timeout=30)
    rows = fetch(owner, "SELECT client, count FROM access_denial WHERE principal IS NULL")
    assert len(rows) == 2 and {r["client"] for r in rows} == {"127.0.0.1"}
    assert sum(r["count"] for r in rows) == FLOOD

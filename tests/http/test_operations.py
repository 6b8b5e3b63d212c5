"""Operating `mpo serve`: health and readiness, Prometheus metrics, the access log (never a
token), the OpenAPI document (every route, and no 5xx under schemathesis), graceful stop."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from mpo.config.settings import resolve
from mpo.http.app import OPENAPI_URL, create_app
from tests.http.conftest import TASK_BODY, Served, sqlite, stop


@pytest.fixture
def served(sqlite_served: Served) -> Served:
    """The package's SQLite server: operations do not depend on the database."""
    return sqlite_served


def test_healthz_and_readyz_and_503_when_the_schema_is_not_current(served: Served) -> None:
    anonymous = served.client(None)
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/readyz").json() == {"status": "ready"}
    path = served.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        (head,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        conn.execute("UPDATE alembic_version SET version_num = 'zzzz'")
    try:
        stale = anonymous.get("/api/health")
        assert stale.status_code == 503 and stale.headers["Retry-After"] == "1"
        assert "run `mpo db upgrade`" in stale.json()["detail"]
    finally:
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE alembic_version SET version_num = ?", (head,))


def test_metrics_have_latency_histograms_counts_and_auth_failures(served: Served) -> None:
    served.client("marketplace-amazon").post("/api/orchestration/tasks", json=TASK_BODY)
    served.client(None).get("/api/v1/tasks")
    text = served.client(None).get("/metrics").text
    assert 'mpo_http_request_duration_seconds_bucket{le="0.05",method="POST",' \
           'route="/api/orchestration/tasks"}' in text
    assert 'mpo_http_requests_total{method="GET",route="/api/v1/tasks",status="401"}' in text
    assert re.search(r"^mpo_auth_failures_total [1-9]", text, re.MULTILINE)
    assert 'mpo_tasks_created_total{marketplace="amazon"}' in text


def test_the_openapi_document_describes_every_route() -> None:
    app = create_app(resolve(database_url="sqlite:///unused.db"), database=_Unused())
    document = app.openapi()
    assert document["openapi"].startswith("3.1")
    described = {(path, method.upper()) for path, ops in document["paths"].items()
                 for method in ops}
    routes = {(r.path, m) for r in _flat(app.routes) for m in getattr(r, "methods", ()) or ()
              if r.path not in (OPENAPI_URL, "/api/v1/docs", "/docs/oauth2-redirect")
              and not r.path.startswith("/web")  # the pages for people: HTML, not the API
              and m != "HEAD"}
    assert routes == described
    for path, ops in document["paths"].items():
        for op in ops.values():
            assert op.get("description") or op.get("summary"), path


def _flat(routes: list[Any]) -> Iterator[Any]:
    """Every route, inside included routers too."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _flat(inner.routes) if inner is not None else (route,)


class _Unused:
    """The OpenAPI document needs no database."""


#: Endpoints whose 200 body never ends (Server-Sent Events): schemathesis reads a body to its
#: end, so it cannot probe them; tests/http/test_events.py drives them over the socket.
STREAMS = frozenset({"/api/v1/events"})


def test_schemathesis_finds_no_server_error(served: Served) -> None:
    import schemathesis

    schema = schemathesis.openapi.from_url(f"{served.url}{OPENAPI_URL}")
    headers = {"Authorization": f"Bearer {served.tokens['root']}"}
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in STREAMS:
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=4, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def probe(case: Any) -> None:
            response = case.call(base_url=served.url, headers=headers, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        probe()
    assert failures == []


def test_the_access_log_is_json_lines_without_tokens(served: Served) -> None:
    cookie = {"next-auth.session-token": served.tokens["ana"]}
    with httpx.Client(base_url=served.url, cookies=cookie) as dashboard:
        assert dashboard.get("/api/orchestration/tasks").status_code == 200
    served.client("root").get("/api/v1/tasks", params={"status": "pending"})
    text = served.log.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert {"method", "path", "status", "ms", "principal"} <= set(lines[-1])
    assert any(line["principal"] == "ana" for line in lines)
    assert [t for t in served.tokens.values() if t in text] == []
    assert "Bearer" not in text and "session-token" not in text


def test_sigterm_lets_the_request_in_flight_finish_whole(tmp_path: Path) -> None:
    server = next(sqlite(tmp_path))
    lines = "\n".join(json.dumps(TASK_BODY | {"title": f"t{n}"}) for n in range(200))
    outcome: dict[str, Any] = {}

    def bulk() -> None:
        try:
            outcome["response"] = httpx.post(
                f"{server.url}/api/v1/tasks", content=lines, timeout=60,
                headers={"Authorization": f"Bearer {server.tokens['ana']}",
                         "Content-Type": "application/x-ndjson"})
        except httpx.TransportError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=bulk)
    thread.start()
    threading.Event().wait(0.3)
    code = stop(server)
    thread.join()
    assert code in (0, -15)  # uvicorn re-raises SIGTERM once it has shut down cleanly
    with sqlite3.connect(server.database_url.removeprefix("sqlite:///")) as conn:
        (count,) = conn.execute("SELECT count(*) FROM task").fetchone()
    if "response" in outcome:
        assert outcome["response"].status_code == 201, outcome["response"].text
        assert count == 200
    else:
        assert count == 0


@pytest.mark.parametrize(("origins", "allowed"), [("", None),
                                                  ("https://dash.example", "https://dash.example")])
def test_cors_is_off_unless_origins_are_configured(
    origins: str, allowed: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPO_HTTP_CORS_ORIGINS", origins)
    app = create_app(resolve(database_url="sqlite:///unused.db"), database=_Unused())

    async def preflight() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://mpo") as client:
            return await client.get("/healthz", headers={"Origin": "https://dash.example"})

    response = asyncio.run(preflight())
    assert response.headers.get("access-control-allow-origin") == allowed

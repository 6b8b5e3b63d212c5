"""Hostile requests (issue 22, findings 9 and 13): every one is a 4xx in the surface's own
format (a problem document on /api/v1, the seed's `{error}` with 400), never a 500 in
text/plain; writes are JSON only, and a wrong method names the allowed ones."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.conftest import TASK_BODY, Served

SEED = "/api/orchestration/tasks"
V1 = "/api/v1/tasks"
DEEP = "[" * 100_000 + "]" * 100_000
#: (path, raw body) pairs that each must be refused with a 4xx.
HOSTILE_BODIES = [
    (SEED, '{"marketplace":"amazon","title":"\\ud800","createdBy":"marketplace-amazon"}'),
    (V1, '{"marketplace":"amazon","title":"\\ud800"}'),
    (SEED, DEEP), (V1, DEEP),
    (SEED, '{"title":' + DEEP + "}"),
    (SEED, '{"marketplace":"amazon","title":"x","estimatedHours":' + "9" * 5000 + "}"),
    (V1, '{"marketplace":"amazon","title":"x","estimated_hours":' + "9" * 5000 + "}"),
    (V1, '{"marketplace":"amazon","title":"x","metadata":{"k":"\\udfff"}}'),
]


def _refused(response: Any, path: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
    if path.startswith(SEED):
        assert response.status_code == 400 or response.status_code in (401, 403, 413, 415)
        assert response.headers["content-type"].startswith("application/json")
        assert set(response.json()) == {"error"}
    else:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == response.status_code


@pytest.mark.parametrize(("path", "body"), HOSTILE_BODIES,
                         ids=lambda v: v[:30] if isinstance(v, str) else v)
def test_hostile_bodies_are_refused_with_4xx(server: Served, path: str, body: str) -> None:
    who = "marketplace-amazon"
    response = server.client(who).post(path, content=body.encode(),
                                       headers={"Content-Type": "application/json"})
    _refused(response, path)


@pytest.mark.parametrize("query", [
    {"offset": "1e23"}, {"offset": str(2**63)}, {"limit": "1e23"},
    {"offset": "99999999999999999999999"}])
def test_hostile_seed_paging_is_400(server: Served, query: dict[str, str]) -> None:
    _refused(server.client("ana").get(SEED, params=query), SEED)


@pytest.mark.parametrize("huge", [str(2**63), str(2**64), "1" + "0" * 40])
def test_an_event_cursor_beyond_bigint_is_a_problem_not_a_dropped_stream(
        server: Served, huge: str) -> None:
    client = server.client("ana")
    _refused(client.get("/api/v1/events", params={"since": huge}), V1)
    _refused(client.get("/api/v1/events", headers={"Last-Event-ID": huge}), V1)


@pytest.mark.parametrize(("path", "ok_field"), [(SEED, "createdBy"), (V1, "created_by")])
def test_a_non_json_write_is_415(server: Served, path: str, ok_field: str) -> None:
    import json

    body = json.dumps(TASK_BODY | {"title": "csrf"})
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = server.client("marketplace-amazon").post(
            path, content=body, headers={"Content-Type": kind})
        assert response.status_code == 415, (kind, response.text)
        _refused(response, path)
    listed = server.client("ana").get(V1, params={"limit": 1000}).json()["tasks"]
    assert [t for t in listed if t["title"] == "csrf"] == []


def test_a_non_json_verb_is_415(server: Served) -> None:
    response = server.client("ana").post(f"{V1}/approve", content='{"ids": []}',
                                         headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    _refused(response, V1)


def test_a_wrong_method_is_405_with_allow_and_a_documented_type(server: Served) -> None:
    response = server.client("ana").delete(V1)
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert response.json()["type"] == "urn:mpo:problem:method-not-allowed"
    seed = server.client("ana").put(f"{SEED}/approve")
    assert seed.status_code == 405 and "PATCH" in seed.headers["allow"]
    assert set(seed.json()) == {"error"}


def test_the_openapi_document_describes_real_response_schemas() -> None:
    from mpo.config.settings import resolve
    from mpo.http.app import create_app

    document = create_app(resolve(database_url="sqlite:///unused.db"),
                          database=_Unused()).openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                for kind, body in response.get("content", {}).items():
                    schema = body.get("schema")
                    assert (schema and schema != {"type": "string"}) or (kind != \
                        "application/json" and kind != "application/problem+json"), (
                            method, path, code, kind)
    listed = document["paths"]["/api/v1/tasks"]["get"]["responses"]
    assert "next_cursor" in listed["200"]["content"]["application/json"]["schema"][
        "properties"]
    assert listed["422"]["content"]["application/problem+json"]["schema"]["required"] == [
        "type", "title", "status", "detail"]


class _Unused:
    """The OpenAPI document needs no database."""

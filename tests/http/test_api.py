"""mpo's own `/api/v1` over a real socket, on SQLite and PostgreSQL (app role): every CLI
verb, snake_case JSON, Idempotency-Key, cursors, and RFC 9457 problems for every status."""

from __future__ import annotations

import json
from typing import Any

from tests.http.conftest import Served

V1 = "/api/v1"
TASK = {"marketplace": "amazon", "title": "Rewrite GEO titles", "category": "optimization",
        "estimated_hours": 4}


def _create(server: Served, who: str = "marketplace-amazon", **fields: Any) -> dict[str, Any]:
    response = server.client(who).post(f"{V1}/tasks", json=TASK | fields)
    assert response.status_code == 201, response.text
    return response.json()


def _problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:mpo:problem:{kind}" and body["status"] == status
    return body


def test_create_with_an_idempotency_key_returns_the_same_task_on_retry(server: Served) -> None:
    agent = server.client("marketplace-amazon")
    key = {"Idempotency-Key": f"retry-{server.kind}"}
    first = agent.post(f"{V1}/tasks", json=TASK, headers=key)
    again = agent.post(f"{V1}/tasks", json=TASK, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["created"] is False
    assert first.json()["created_by"] == "marketplace-amazon"
    other = agent.post(f"{V1}/tasks", json=TASK | {"title": "other"}, headers=key)
    _problem(other, 409, "idempotency-conflict")


def test_bulk_ndjson_creates_all_or_nothing(server: Served) -> None:
    admin = server.client("ana")
    lines = [json.dumps(TASK | {"title": f"bulk {n}", "created_by": "marketplace-amazon"})
             for n in range(3)]
    ndjson = {"Content-Type": "application/x-ndjson"}
    made = admin.post(f"{V1}/tasks", content="\n".join(lines), headers=ndjson)
    assert made.status_code == 201, made.text
    assert len(made.json()["tasks"]) == 3 and made.json()["batch_id"]
    bad = admin.post(f"{V1}/tasks", content="\n".join([lines[0], "{nope"]), headers=ndjson)
    body = _problem(bad, 422, "batch-rejected")
    assert body["problems"][0]["item"] == "line 2"


def test_list_pages_with_cursors_and_show_has_history(server: Served) -> None:
    for n in range(3):
        _create(server, title=f"page {n}", priority="low")
    admin = server.client("ana")
    first = admin.get(f"{V1}/tasks", params={"priority": "low", "limit": 2}).json()
    second = admin.get(f"{V1}/tasks", params={"priority": "low", "limit": 2,
                                              "cursor": first["next_cursor"]}).json()
    ids = [t["id"] for t in first["tasks"] + second["tasks"]]
    assert len(ids) == len(set(ids)) == first["total"] >= 3
    shown = admin.get(f"{V1}/tasks/{ids[0][:8]}").json()
    assert shown["id"] == ids[0] and shown["history"][0]["action"] == "create"


def test_every_lifecycle_verb_log_and_stats(server: Served) -> None:
    admin, member = server.client("ana"), server.client("bea")
    task = _create(server, title="the whole way")["id"]
    steps = [("ana", "submit", {}), ("ana", "approve", {"note": "go"}),
             ("ana", "assign", {"to": "bea"}), ("bea", "complete", {"actual_hours": 3})]
    for who, verb, extra in steps:
        response = server.client(who).post(f"{V1}/tasks/{verb}", json={"ids": [task], **extra})
        assert response.status_code == 200, (verb, response.text)
        assert response.json()["changed"] == 1
    other = _create(server, title="reject me")["id"]
    admin.post(f"{V1}/tasks/submit", json={"ids": [other]})
    dry = admin.post(f"{V1}/tasks/reject", json={"ids": [other], "reason_code": "duplicate",
                                                 "dry_run": True}).json()
    assert dry["dry_run"] is True and dry["results"][0]["outcome"] == "would_change"
    started = _create(server, title="start me")["id"]
    for verb in ("submit", "approve"):
        admin.post(f"{V1}/tasks/{verb}", json={"ids": [started]})
    assert member.post(f"{V1}/tasks/start", json={"ids": [started]}).status_code == 200
    log = admin.get(f"{V1}/log", params={"task": task}).json()["events"]
    assert [e["action"] for e in log] == ["create", "submit", "approve", "assign", "complete"]
    stats = server.client("vic").get(f"{V1}/stats", params={"since": "-1d"}).json()
    assert stats["schema_version"] == 1 and stats["pipeline"]["window"]["created"] >= 3


def test_every_error_status_is_a_problem_document(server: Served) -> None:
    agent, admin, viewer = (server.client(w) for w in ("marketplace-amazon", "ana", "vic"))
    _problem(server.client(None).get(f"{V1}/tasks"), 401, "auth-error")
    _problem(viewer.post(f"{V1}/tasks", json=TASK), 403, "permission-denied")
    _problem(agent.get(f"{V1}/tasks", params={"marketplace": "shopee"}), 403,
             "permission-denied")
    _problem(admin.get(f"{V1}/tasks/0123456789abcdef"), 404, "not-found")
    _problem(admin.post(f"{V1}/tasks", content=b"{", headers={
        "Content-Type": "application/json"}), 400, "bad-request")
    body = _problem(admin.post(f"{V1}/tasks", json=TASK | {"category": "x"}), 422,
                    "validation-error")
    assert body["detail"].startswith("category:") and body["exit_code"] == 2
    _problem(admin.post(f"{V1}/tasks/reject", json={"ids": ["abcd"]}), 422, "validation-error")
    _problem(admin.get(f"{V1}/tasks", params={"cursor": "garbage"}), 422, "validation-error")
    pending = _create(server, title="too early")["id"]
    _problem(admin.post(f"{V1}/tasks/approve", json={"ids": [pending]}), 409,
             "invalid-transition")
    huge = admin.post(f"{V1}/tasks", json=TASK | {"description": "x" * 1_100_000})
    assert huge.status_code == 413


def test_a_principal_over_its_rate_gets_429_with_retry_after(server: Served) -> None:
    limited = server.client("marketplace-kaway")
    body = TASK | {"marketplace": "kaway"}
    statuses = [limited.post(f"{V1}/tasks", json=body).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    refused = limited.post("/api/orchestration/tasks", json=body)
    assert refused.status_code == 429 and "rate limit" in refused.json()["error"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600

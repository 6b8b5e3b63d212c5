"""Retry-safe writes over a real socket (issue 21), on SQLite and on PostgreSQL (app role):
the `Idempotency-Key` header on every write of `/api/v1` and of the seed's surface,
`submit` and `dry_run` on create, and concurrent retries that apply once."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx

from tests import readback
from tests.http.conftest import Served, create_body

V1 = "/api/v1/tasks"
SEED = "/api/orchestration/tasks"
TASK = {"marketplace": "amazon", "title": "Retry me", "category": "optimization",
        "estimated_hours": 4}


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}


def _task(server: Served, status: str = "pending") -> str:
    made = server.client("marketplace-amazon").post(V1, json=TASK)
    assert made.status_code == 201, made.text
    task: str = made.json()["id"]
    for verb in {"pending": [], "awaiting_approval": ["submit"],
                 "approved": ["submit", "approve"]}[status]:
        assert server.client("ana").post(f"{V1}/{verb}", json={"ids": [task]}).status_code == 200
    return task


def _actions(server: Served, task: str) -> list[str]:
    return [e["action"] for e in readback.events(server.owner_url) if e["task_id"] == task]


def test_a_retried_verb_answers_the_first_result_with_one_event(server: Served) -> None:
    admin, key = server.client("ana"), _key()
    task = _task(server, "awaiting_approval")
    first = admin.post(f"{V1}/approve", json={"ids": [task], "note": "go"}, headers=key)
    assert admin.post(f"{V1}/assign", json={"ids": [task], "to": "bea"}).status_code == 200
    again = admin.post(f"{V1}/approve", json={"ids": [task], "note": "go"}, headers=key)
    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.json() == first.json() and first.json()["changed"] == 1
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _actions(server, task) == ["create", "submit", "approve", "assign"]


def test_the_same_key_with_another_request_is_a_409(server: Served) -> None:
    admin, key = server.client("ana"), _key()
    one, two = _task(server, "awaiting_approval"), _task(server, "awaiting_approval")
    assert admin.post(f"{V1}/approve", json={"ids": [one]}, headers=key).status_code == 200
    other = admin.post(f"{V1}/approve", json={"ids": [two]}, headers=key)
    assert other.status_code == 409, other.text
    assert other.json()["type"] == "urn:mpo:problem:idempotency-conflict"
    assert other.json()["exit_code"] == 5 and "different request" in other.json()["detail"]
    undo = admin.post(f"{V1}/undo", json={"ref": "1"}, headers=key)
    assert undo.status_code == 409, undo.text
    assert _actions(server, two) == ["create", "submit"]


def test_a_key_is_its_principals_alone(server: Served) -> None:
    key = _key()
    mine, theirs = _task(server, "awaiting_approval"), _task(server)
    ok = server.client("ana").post(f"{V1}/approve", json={"ids": [mine]}, headers=key)
    assert ok.status_code == 200, ok.text
    agent = server.client("marketplace-amazon").post(f"{V1}/submit", json={"ids": [theirs]},
                                                     headers=key)
    assert agent.status_code == 200, agent.text
    assert "Idempotent-Replayed" not in agent.headers
    assert _actions(server, theirs) == ["create", "submit"]
    again = server.client("ana").post(f"{V1}/approve", json={"ids": [mine]}, headers=key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"


def test_undo_takes_a_key(server: Served) -> None:
    admin, key = server.client("ana"), _key()
    task = _task(server, "awaiting_approval")
    batch = admin.post(f"{V1}/approve", json={"ids": [task]}).json()["batch_id"]
    first = admin.post(f"{V1}/undo", json={"ref": batch}, headers=key)
    again = admin.post(f"{V1}/undo", json={"ref": batch}, headers=key)
    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.json() == first.json()
    assert _actions(server, task) == ["create", "submit", "approve", "undo"]


def test_the_seeds_writes_take_a_key(server: Served) -> None:
    admin = server.client("ana")
    made = server.client("marketplace-amazon").post(SEED, json=create_body(title="seed"))
    task = made.json()["id"]
    calls: list[tuple[str, dict[str, Any]]] = [
        ("approve", {"taskIds": [task], "approved": True}),
        ("assign", {"taskId": task, "assignedTo": "bea"}),
        ("complete", {"taskId": task, "actualHours": 3})]
    for verb, body in calls:
        key = _key()
        first = admin.patch(f"{SEED}/{verb}", json=body, headers=key)
        again = admin.patch(f"{SEED}/{verb}", json=body, headers=key)
        assert (first.status_code, again.status_code) == (200, 200), (verb, again.text)
        assert again.json() == first.json()
    assert _actions(server, task) == ["create", "submit", "approve", "assign", "complete"]


def test_create_with_submit_is_one_batch_and_a_retry_answers_it(server: Served) -> None:
    agent, key = server.client("marketplace-amazon"), _key()
    first = agent.post(V1, params={"submit": "true"}, json=TASK, headers=key)
    again = agent.post(V1, params={"submit": "true"}, json=TASK, headers=key)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    task = first.json()
    assert task["status"] == "awaiting_approval" and again.json()["id"] == task["id"]
    events = [e for e in readback.events(server.owner_url) if e["task_id"] == task["id"]]
    assert [e["action"] for e in events] == ["create", "submit"]
    assert events[0]["batch_id"] == events[1]["batch_id"] is not None


def test_create_dry_run_writes_nothing(server: Served) -> None:
    title = f"dry {uuid.uuid4().hex}"
    shown = server.client("marketplace-amazon").post(
        V1, params={"dry_run": "true", "submit": "true"}, json=TASK | {"title": title})
    assert shown.status_code == 200, shown.text
    assert shown.json()["id"] is None and shown.json()["status"] == "awaiting_approval"
    assert [t for t in readback.tasks(server.owner_url).values() if t["title"] == title] == []


def test_concurrent_retries_with_one_key_apply_once(server: Served) -> None:
    tasks = [_task(server, "awaiting_approval") for _ in range(3)]
    key, results = _key(), []

    def approve() -> None:
        with httpx.Client(base_url=server.url, timeout=60, headers={
                "Authorization": f"Bearer {server.tokens['ana']}", **key}) as client:
            results.append(client.post(f"{V1}/approve", json={"ids": tasks}))

    threads = [threading.Thread(target=approve) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200] * 6, [r.text for r in results]
    assert len({r.json()["batch_id"] for r in results}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in results) == 1
    approvals = [e for e in readback.events(server.owner_url)
                 if e["task_id"] in tasks and e["action"] == "approve"]
    assert len(approvals) == 3

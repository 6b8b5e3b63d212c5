"""The seed's five endpoints over a real socket, on SQLite and on PostgreSQL (app role):
its README's own calls pass unchanged, and every error status it can meet is provoked."""

from __future__ import annotations

import threading
from typing import Any

from mpo.core.domain.permissions import Actor, Role
from mpo.core.usecases.reads import list_events
from tests.http.conftest import Served, create_body

TASKS = "/api/orchestration/tasks"
ROOT = Actor("root", Role.ADMIN)


def _create(server: Served, **overrides: Any) -> dict[str, Any]:
    response = server.client("marketplace-amazon").post(TASKS, json=create_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def test_the_agents_fetch_creates_a_pending_task(server: Served) -> None:
    body = _create(server)
    assert body["success"] is True
    assert body["message"] == "Task created and awaiting approval"
    assert body["id"] == body["task"]["id"] and body["status"] == "pending"
    assert body["marketplace"] == "amazon" and body["task"]["estimatedHours"] == 4
    assert body["task"]["createdBy"] == "marketplace-amazon"


def test_the_dashboards_list_and_approve_work_with_the_session_cookie(server: Served) -> None:
    ids = [_create(server, title=f"approve me {n}")["id"] for n in range(2)]
    cookie = {"next-auth.session-token": server.tokens["ana"]}
    import httpx

    with httpx.Client(base_url=server.url, cookies=cookie) as dashboard:
        listed = dashboard.get(f"{TASKS}?status=pending").json()
        assert set(ids) <= {t["id"] for t in listed["tasks"]}
        assert listed["count"] >= 2 and listed["limit"] == 50 and listed["offset"] == 0
        approved = dashboard.patch(f"{TASKS}/approve", json={"taskIds": ids, "approved": True})
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["success"], body["message"], body["count"]) == (True, "Tasks approved", 2)
    assert {t["status"] for t in body["tasks"]} == {"approved"}
    events = list_events(server.db(), ROOT, batch=body["batchId"])
    assert sorted((str(e.task_id), e.action) for e in events) == sorted(
        (i, a) for i in ids for a in ("submit", "approve"))


def test_count_is_the_total_and_status_and_listing_are_honoured(server: Served) -> None:
    for n in range(3):
        _create(server, title=f"count {n}", listingId="B0X-COUNT")
    _create(server, title="another listing", listingId="B0Y-COUNT")
    admin = server.client("ana")
    page = admin.get(TASKS, params={"status": "pending", "marketplace": "amazon",
                                    "limit": 2, "listing_id": "B0X-COUNT"}).json()
    assert len(page["tasks"]) == 2 and page["count"] == 3
    assert {t["status"] for t in page["tasks"]} == {"pending"}
    assert admin.get(TASKS, params={"limit": 500}).json()["limit"] == 100


def test_reject_assign_and_complete_with_accuracy_as_a_percentage(server: Served) -> None:
    admin = server.client("ana")
    rejected = _create(server, title="reject me")["id"]
    body = admin.patch(f"{TASKS}/approve", json={"taskIds": [rejected], "approved": False,
                                                 "reason": "duplicate of another"}).json()
    assert body["message"] == "Tasks rejected"
    assert body["tasks"][0]["rejectionReason"] == "duplicate of another"
    task = _create(server, title="do me", estimatedHours=4)["id"]
    admin.patch(f"{TASKS}/approve", json={"taskIds": [task], "approved": True})
    assigned = admin.patch(f"{TASKS}/assign", json={"taskId": task, "assignedTo": "bea"})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["message"] == "Task assigned successfully"
    assert assigned.json()["task"]["status"] == "in_progress" and assigned.json()["assignedAt"]
    done = server.client("bea").patch(f"{TASKS}/complete",
                                      json={"taskId": task, "actualHours": 6, "notes": "ok"})
    assert done.status_code == 200, done.text
    stats = done.json()["stats"]
    assert (stats["estimatedHours"], stats["actualHours"], stats["accuracy"]) == (4, 6, 50.0)
    assert done.json()["task"]["status"] == "completed"


def test_every_error_status_of_the_seed_surface(server: Served) -> None:
    agent, admin = server.client("marketplace-amazon"), server.client("ana")
    anonymous = server.client(None)
    assert anonymous.get(TASKS).status_code == 401
    assert server.client("root").get(TASKS, headers={"Authorization": "Bearer nope"}
                                     ).status_code == 401
    other = agent.post(TASKS, json=create_body(createdBy="marketplace-shopee"))
    assert other.status_code == 403 and "error" in other.json()
    assert agent.patch(f"{TASKS}/approve", json={"taskIds": ["abcd"], "approved": True}
                       ).status_code == 403
    bad = agent.post(TASKS, json=create_body(category="nonsense"))
    assert bad.status_code == 400 and bad.json()["error"].startswith("category:")
    malformed = agent.post(TASKS, content=b'{"title": ', headers={
        "Content-Type": "application/json"})
    assert malformed.status_code == 400 and "error" in malformed.json()
    missing = admin.patch(f"{TASKS}/assign", json={"taskId": "0123456789abcdef",
                                                    "assignedTo": "bea"})
    assert missing.status_code == 404
    pending = _create(server, title="not approved yet")["id"]
    wrong = admin.patch(f"{TASKS}/assign", json={"taskId": pending, "assignedTo": "bea"})
    assert wrong.status_code == 409 and "pending" in wrong.json()["error"]


def test_concurrent_approvals_of_the_same_tasks_one_wins_the_other_gets_409(
    server: Served
) -> None:
    ids = [_create(server, title=f"race {n}")["id"] for n in range(5)]
    import httpx

    results: list[httpx.Response] = []

    def approve(token: str) -> None:
        with httpx.Client(base_url=server.url, timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            results.append(client.patch(f"{TASKS}/approve",
                                        json={"taskIds": ids, "approved": True}))

    threads = [threading.Thread(target=approve, args=(server.tokens[who],))
               for who in ("ana", "root")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in results) == [200, 409], [r.text for r in results]
    events = [e for e in list_events(server.db(), ROOT, actions=("approve",))
              if str(e.task_id) in ids]
    assert len(events) == 5 and len({e.batch_id for e in events}) == 1

"""`POST /api/v1/tasks/claim`, `heartbeat`, `note` and `release` over a real socket, on
SQLite and PostgreSQL (app role): the same use cases as `mpo claim` and its verbs."""

from __future__ import annotations

from typing import Any

from tests.http.conftest import Served

V1 = "/api/v1/tasks"


def _approved(server: Served, tag: str) -> str:
    made = server.client("marketplace-amazon").post(V1, json={
        "marketplace": "amazon", "title": "Rewrite GEO titles", "category": "optimization",
        "estimated_hours": 4, "tags": [tag]})
    assert made.status_code == 201, made.text
    task = str(made.json()["id"])
    for verb in ("submit", "approve"):
        moved = server.client("ana").post(f"{V1}/{verb}", json={"ids": [task]})
        assert moved.status_code == 200, moved.text
    return task


def _post(server: Served, who: str, path: str, body: dict[str, Any]) -> Any:
    return server.client(who).post(f"{V1}/{path}", json=body)


def test_claim_heartbeat_note_and_release_over_http(server: Served) -> None:
    tag = f"http-claim-{server.kind}"
    task = _approved(server, tag)
    claimed = _post(server, "bea", "claim", {"tag": [tag], "lease": "10m"})
    assert claimed.status_code == 200, claimed.text
    body = claimed.json()
    assert (body["id"], body["status"], body["assigned_to"]) == (task, "in_progress", "bea")
    assert body["lease_expires_at"]

    nothing = _post(server, "bea", "claim", {"tag": [tag]})
    assert nothing.status_code == 404 and nothing.json()["exit_code"] == 3, nothing.text
    waited = _post(server, "bea", "claim", {"tag": [tag], "wait": "0.2s"})
    assert waited.status_code == 404 and waited.json()["exit_code"] == 8, waited.text
    viewer = _post(server, "vic", "claim", {"tag": [tag]})
    assert viewer.status_code == 403, viewer.text

    beat = _post(server, "bea", "heartbeat", {"ids": [task], "lease": "1h"})
    assert beat.status_code == 200 and beat.json()["changed"] == 1, beat.text
    noted = _post(server, "bea", "note", {"ids": [task], "note": "half done"})
    assert noted.status_code == 200, noted.text
    released = _post(server, "bea", "release", {"ids": [task]})
    assert released.status_code == 200, released.text
    shown = server.client("ana").get(f"{V1}/{task}").json()
    assert (shown["status"], shown["assigned_to"]) == ("approved", None)
    assert [e["action"] for e in shown["history"]][-4:] == [
        "claim", "heartbeat", "note", "release"]
    bad = _post(server, "bea", "claim", {"tag": [tag], "lease": "forever"})
    assert bad.status_code == 422, bad.text

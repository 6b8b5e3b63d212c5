"""`GET /api/v1/events` over a real socket, on SQLite and PostgreSQL (app role): Server-Sent
Events of the audit stream, an agent's marketplace only, resumed exactly with Last-Event-ID;
a stream ends at once when its client leaves or its server stops."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http.conftest import Served, _postgres, sqlite

V1 = "/api/v1"
TASK = {"marketplace": "amazon", "title": "Stream me", "category": "optimization",
        "estimated_hours": 4}


def _create(server: Served, who: str, marketplace: str) -> str:
    made = server.client(who).post(f"{V1}/tasks", json=TASK | {"marketplace": marketplace})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _read(client: httpx.Client, count: int, **request: Any) -> list[dict[str, Any]]:
    """The first `count` event frames of one stream (keep-alives and `retry:` skipped), as
    {"id", "event", "data"}; the connection is closed after them."""
    found: list[dict[str, Any]] = []
    with client.stream("GET", f"{V1}/events", **request) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        frame: dict[str, str] = {}
        for line in response.iter_lines():
            if line:
                key, _, value = line.partition(": ")
                frame[key] = value
                continue
            if "id" in frame:
                found.append({"id": int(frame["id"]), "event": frame["event"],
                              "data": json.loads(frame["data"])})
                if len(found) == count:
                    break
            frame = {}
    return found


def test_events_stream_an_agents_marketplace_and_resume_after_last_event_id(
    server: Served,
) -> None:
    first = _create(server, "marketplace-amazon", "amazon")
    other = _create(server, "marketplace-shopee", "shopee")
    second = _create(server, "marketplace-amazon", "amazon")
    third = _create(server, "marketplace-amazon", "amazon")
    [created] = server.client("ana").get(f"{V1}/log", params={"task": first}).json()["events"]
    start = created["id"] - 1

    agent = server.client("marketplace-amazon")
    read = _read(agent, 2, params={"since": start, "idle": 0.2})
    assert [(e["event"], e["data"]["data"]["task_id"]) for e in read] == [
        ("task.create", first), ("task.create", second)]  # shopee's task is not shown
    assert all(e["id"] == e["data"]["id"] for e in read)
    assert read[0]["id"] == start + 1 and read[1]["id"] > read[0]["id"]

    # Reconnecting with the last id read gets exactly what followed (the header wins).
    resumed = _read(agent, 1, params={"since": start, "idle": 0.2},
                    headers={"Last-Event-ID": str(read[0]["id"])})
    assert [(e["id"], e["data"]["data"]["task_id"]) for e in resumed] == [
        (read[1]["id"], second)]
    later = _read(agent, 1, params={"idle": 0.2}, headers={"Last-Event-ID": str(read[1]["id"])})
    assert [e["data"]["data"]["task_id"] for e in later] == [third]
    assert other not in {e["data"]["data"]["task_id"] for e in read + resumed + later}


def test_events_refuse_before_streaming(server: Served) -> None:
    anonymous = server.client(None).get(f"{V1}/events")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    foreign = server.client("marketplace-amazon").get(
        f"{V1}/events", params={"marketplace": "shopee"})
    assert foreign.status_code == 403, foreign.text
    bad = server.client("ana").get(f"{V1}/events", params={"action": "explode"})
    assert bad.status_code == 422, bad.text
    assert bad.json()["type"] == "urn:mpo:problem:validation-error"


def _until(lines: Any, task: str, idle: int = 100) -> tuple[list[str], bool]:
    """The task ids of the event frames read until one is about `task`, the stream ends
    (True) or `idle` keep-alives in a row came instead."""
    seen: list[str] = []
    quiet = 0
    try:
        for line in lines:
            if not line:
                continue
            quiet = quiet + 1 if line.startswith(": keep-alive") else 0
            if line.startswith("data: "):
                seen.append(json.loads(line[6:])["data"]["task_id"])
            if (seen and seen[-1] == task) or quiet >= idle:
                return seen, False
    except httpx.RemoteProtocolError:
        pass  # the server ended the stream mid-chunk
    return seen, True


def test_revoking_a_principal_cuts_its_open_stream(server: Served) -> None:
    """Issue 22, finding 2: on SQLite as on PostgreSQL (app role)."""
    from mpo.core.domain.permissions import Actor, Role
    from mpo.core.domain.validation import Rules
    from mpo.core.usecases.identity import add_principal, revoke_principal

    root, owner = Actor("root", Role.ADMIN), server.db()
    name = f"watcher-{uuid.uuid4().hex[:8]}"
    token = add_principal(owner, root, name, "viewer", None, Rules()).token
    with httpx.Client(base_url=server.url, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client, \
            client.stream("GET", f"{V1}/events", params={"idle": 0.2}) as response:
        assert response.status_code == 200
        lines = response.iter_lines()
        assert next(lines).startswith("retry:")  # the stream is open
        before = _create(server, "marketplace-amazon", "amazon")
        assert _until(lines, before)[0][-1] == before  # it delivers
        revoke_principal(owner, root, name)
        after = _create(server, "marketplace-amazon", "amazon")
        seen, ended = _until(lines, after)
        assert ended and after not in seen  # cut before the next event


def _logged(served: Served, query: str, within: float) -> dict[str, Any] | None:
    """The access log's line of the request with this query, once it has ended (the log is
    written as a response ends), waiting up to `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        for line in served.log.read_text().splitlines():
            entry: dict[str, Any] = json.loads(line)
            if entry["query"] == query:
                return entry
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def test_a_stream_whose_client_left_ends_at_once(server: Served) -> None:
    """Not at its next keep-alive (`idle` seconds later): its thread and its database
    connection are free again."""
    query = f"idle=30&created_by=gone-{uuid.uuid4().hex[:8]}"
    with server.client("ana").stream("GET", f"{V1}/events?{query}") as response:
        assert next(response.iter_lines()).startswith("retry:")
    ended = _logged(server, query, 10)
    assert ended is not None and ended["status"] == 200
    assert ended["ms"] < 10_000


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_stopping_server_ends_its_open_streams_at_once(
        kind: str, tmp_path: Path) -> None:
    """SIGTERM with a client still reading: the server ends the stream (the client
    reconnects with Last-Event-ID) and exits, instead of waiting out its graceful-shutdown
    timeout (30 s)."""
    running = sqlite(tmp_path) if kind == "sqlite" else _postgres(tmp_path)
    served = next(running)
    try:
        with served.client("ana").stream("GET", f"{V1}/events",
                                         params={"idle": 30}) as response:
            lines = response.iter_lines()
            assert next(lines).startswith("retry:")
            started = time.monotonic()
            served.process.terminate()
            served.process.wait(timeout=60)
            assert time.monotonic() - started < 10
            assert [line for line in lines if line] == []  # it ended cleanly, nothing more
    finally:
        next(running, None)

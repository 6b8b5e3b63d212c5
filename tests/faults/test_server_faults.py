"""Faults around a running `mpo serve`: killed with SIGKILL under load (nothing acknowledged
lost, nothing duplicated, on both databases), and its SQLite directory removed under it
(readiness fails, writes are 503 problems: finding 12)."""

from __future__ import annotations

import shutil
import signal
import threading
import uuid
from pathlib import Path

import httpx
import pytest

from tests.faults.world import count, database, served, stored
from tests.http.conftest import TASK_BODY

WRITERS = 4
#: Kill once this many creates were acknowledged (bounded: a deadline too).
ACKED_BEFORE_KILL = 60


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_kill_9_under_load_loses_nothing_acknowledged(kind: str, tmp_path: Path) -> None:
    with database(kind, tmp_path) as (url, tokens):
        acked: list[str] = []  # idempotency keys the server answered 201/200 for
        sent: list[str] = []
        lock, enough = threading.Lock(), threading.Event()
        with served(url, tokens, tmp_path, kind) as server:
            headers = {"Authorization": f"Bearer {tokens['marketplace-amazon']}"}

            def load() -> None:
                with httpx.Client(base_url=server.url, headers=headers, timeout=5) as client:
                    while not enough.is_set() or len(acked) < ACKED_BEFORE_KILL * 2:
                        key = uuid.uuid4().hex
                        with lock:
                            sent.append(key)
                        try:
                            response = client.post("/api/orchestration/tasks", json=TASK_BODY
                                                   | {"title": key}, headers={
                                                       "Idempotency-Key": key})
                        except httpx.TransportError:
                            return  # the server is gone
                        if response.status_code in (200, 201):
                            with lock:
                                acked.append(key)
                                if len(acked) >= ACKED_BEFORE_KILL:
                                    enough.set()

            threads = [threading.Thread(target=load) for _ in range(WRITERS)]
            for thread in threads:
                thread.start()
            assert enough.wait(60), "the server acknowledged too few creates"
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(timeout=30)
            for thread in threads:
                thread.join(timeout=30)
        count("faults injected")
        titles = set(_titles(url))
        total = stored(url)
        count(f"{kind} kill -9: acknowledged", len(acked))
        count(f"{kind} kill -9: stored", total)
        assert set(acked) <= titles  # nothing acknowledged lost
        assert total == len(titles)  # no duplicate
        assert titles <= set(sent)
        with served(url, tokens, tmp_path, kind) as again:  # and it starts again, ready
            assert again.client(None).get("/readyz").status_code == 200


def _titles(url: str) -> list[str]:
    from sqlalchemy import text

    from mpo.store.database import SqlDatabase

    database = SqlDatabase(url)
    try:
        with database.engine.connect() as conn:
            return list(conn.execute(text("SELECT title FROM task")).scalars())
    finally:
        database.engine.dispose()


def test_a_removed_database_directory_fails_readiness_and_refuses_writes(
        tmp_path: Path) -> None:
    with database("sqlite", tmp_path) as (url, tokens), \
            served(url, tokens, tmp_path, "sqlite") as server:
        agent = server.client("marketplace-amazon")
        assert agent.post("/api/orchestration/tasks", json=TASK_BODY).status_code == 201
        shutil.rmtree(tmp_path / "data")
        count("faults injected")
        ready = server.client(None).get("/readyz")
        assert ready.status_code == 503 and ready.headers["Retry-After"] == "1"
        assert "is gone since mpo opened it" in ready.json()["detail"]
        v1_body = {"marketplace": "amazon", "title": "t", "category": "analysis",
                   "estimated_hours": 1}
        for path, body in (("/api/orchestration/tasks", TASK_BODY), ("/api/v1/tasks", v1_body)):
            refused = agent.post(path, json=body)
            assert refused.status_code == 503, refused.text
            assert "writes are refused" in refused.text
        v1 = agent.post("/api/v1/tasks", json=v1_body)
        assert v1.headers["content-type"].startswith("application/problem+json")
        assert v1.json()["exit_code"] == 6

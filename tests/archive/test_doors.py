"""Archived tasks through every door, on a real `mpo serve` (PostgreSQL: as an `mpo_app`
login, so the policies, grants and `mpo_archive_move` apply): the HTTP task, MCP `show`,
the CLI; and on PostgreSQL raw SQL as the app login, across marketplaces (issue 25)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest

from tests.http.conftest import Served, _postgres, sqlite
from tests.mcp.conftest import connect, document, mpo
from tests.pg_app import conninfo


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home: Path = tmp_path_factory.mktemp(f"archive-{request.param}")
    yield from (sqlite(home) if request.param == "sqlite" else _postgres(home))


def _cancelled(served: Served, agent: str, marketplace: str) -> str:
    """A task `agent` proposed and an admin cancelled; its id."""
    made = mpo(served, agent, "create", "-m", marketplace, "-t", f"old work {uuid.uuid4()}",
               "-c", "optimization", "-e", "1", "--json")
    assert made.returncode == 0, made.stderr
    task_id = str(json.loads(made.stdout)["id"])
    done = mpo(served, "ana", "cancel", task_id, "--reason-code", "duplicate")
    assert done.returncode == 0, done.stderr
    return task_id


def _task(served: Served, who: str, task_id: str) -> tuple[int, Any]:
    response = served.client(who).get(f"/api/v1/tasks/{task_id}")
    body = response.json()
    if isinstance(body, dict):
        body.pop("prediction", None)
    return response.status_code, body


def _mcp_show(served: Served, who: str, task_id: str) -> dict[str, Any]:
    async def show() -> dict[str, Any]:
        async with connect(served, who, "http") as client:
            return document(await client.call_tool("show", {"id": task_id}))

    found = anyio.run(show)
    found.pop("prediction", None)
    return found


def test_every_door_finds_an_archived_task_and_only_admins_archive(served: Served) -> None:
    amazon = _cancelled(served, "marketplace-amazon", "amazon")
    shopee = _cancelled(served, "marketplace-shopee", "shopee")
    before = _task(served, "ana", amazon)
    shown = _mcp_show(served, "ana", amazon)
    assert before[0] == 200

    refused = mpo(served, "bea", "archive", "--before", "0s")
    assert refused.returncode == 4, refused.stderr
    run = mpo(served, "ana", "archive", "--before", "0s", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["tasks"] >= 2

    assert _task(served, "ana", amazon) == before
    assert _mcp_show(served, "ana", amazon) == shown
    assert _task(served, "marketplace-amazon", amazon)[0] == 200
    assert _task(served, "marketplace-shopee", amazon)[0] == 404  # not its marketplace
    assert _task(served, "marketplace-shopee", shopee)[0] == 200
    shown_cli = mpo(served, "vic", "log", "--task", amazon, "--json")
    assert [e["action"] for e in json.loads(shown_cli.stdout)] == ["create", "cancel"]
    log = served.client("vic").get("/api/v1/log", params={"archived": "true"}).json()
    assert {amazon, shopee} <= {e["task_id"] for e in log["events"]}
    live = served.client("vic").get("/api/v1/log").json()
    assert amazon not in {e["task_id"] for e in live["events"]}


def _as(served: Served, who: str, sql: str) -> list[Any]:
    """`sql` run as the server's app login, authenticated as `who`, in one transaction."""
    with psycopg.connect(conninfo(served.database_url)) as conn:
        conn.execute("SELECT 1 FROM mpo_authenticate(%s)", (served.tokens[who],))
        return list(conn.execute(sql))


def test_postgres_app_logins_see_archived_rows_as_live_ones(served: Served) -> None:
    if served.kind != "postgres":
        pytest.skip("row-level security is PostgreSQL's")
    amazon = _cancelled(served, "marketplace-amazon", "amazon")
    shopee = _cancelled(served, "marketplace-shopee", "shopee")
    assert mpo(served, "ana", "archive", "--before", "0s").returncode == 0

    def ids(who: str, sql: str) -> set[str]:
        return {str(row[0]) for row in _as(served, who, sql)}

    tasks = "SELECT id FROM task_archive"
    events = "SELECT DISTINCT task_id FROM task_event_archive"
    assert amazon in ids("marketplace-amazon", tasks)
    assert shopee not in ids("marketplace-amazon", tasks)
    assert ids("marketplace-amazon", events) == ids("marketplace-amazon", tasks)
    assert {amazon, shopee} <= ids("bea", tasks) and {amazon, shopee} <= ids("vic", events)
    assert ids("marketplace-amazon", "SELECT id FROM archive_batch") == set()
    assert ids("ana", "SELECT id FROM archive_batch")


@pytest.mark.parametrize(("who", "sql", "error"), [
    ("marketplace-amazon", "SELECT * FROM mpo_archive_move(gen_random_uuid(), now(), 10)",
     "only an admin may archive"),
    ("ana", "DELETE FROM task_event", "permission denied"),
    ("ana", "UPDATE task_event SET actor = 'mallory'", "permission denied"),
    ("ana", "DELETE FROM task_event_archive", "permission denied"),
    ("ana", "UPDATE task_archive SET title = 'x'", "permission denied"),
    ("ana", "INSERT INTO archive_batch (run_id, actor, at, cutoff, tasks, events) VALUES "
            "(gen_random_uuid(), 'ana', now(), now(), 0, 0)", "permission denied"),
    ("ana", "DELETE FROM task", "permission denied"),
])
def test_postgres_app_logins_cannot_move_or_edit_the_log_themselves(
        served: Served, who: str, sql: str, error: str) -> None:
    if served.kind != "postgres":
        pytest.skip("grants and definer functions are PostgreSQL's")
    with pytest.raises(psycopg.Error, match=error):
        _as(served, who, sql)

"""The wait tool, released by a person's decision made in another process (`mpo approve`
while the tool call is pending), with progress notifications before it."""

from __future__ import annotations

import subprocess
import uuid

import anyio

from tests.http.conftest import Served
from tests.mcp.conftest import MPO, connect, document, environ, task_body


def test_a_wait_is_released_by_an_approval_from_another_process(served: Served,
                                                                transport: str) -> None:
    async def scenario() -> tuple[dict[str, object], list[str], int]:
        progress: list[str] = []
        waiting = anyio.Event()
        approved: list[int] = []

        async def note(done: float, total: float | None, message: str | None) -> None:
            progress.append(message or "")
            waiting.set()

        async with connect(served, "marketplace-amazon", transport) as client:
            made = document(await client.call_tool(
                "create", task_body(f"w-{uuid.uuid4()}", submit=True)))

            async def approve() -> None:
                await waiting.wait()
                done = await anyio.run_process([MPO, "approve", str(made["id"])],
                                               env=environ(served, "ana"), check=False,
                                               stderr=subprocess.PIPE)
                approved.append(done.returncode)

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(approve)
                result = await client.call_tool("wait", {"ids": [made["id"]], "timeout": 600},
                                                progress_callback=note)
        return document(result), progress, approved[0]

    result, progress, approve_code = anyio.run(scenario)
    assert approve_code == 0
    assert progress[0].endswith("is awaiting_approval")
    assert result["outcome"] == "reached"
    assert [t["status"] for t in result["tasks"]] == ["approved"]  # type: ignore[attr-defined]


def test_a_wait_that_times_out_says_so_and_is_no_error(served: Served, transport: str) -> None:
    async def scenario() -> dict[str, object]:
        async with connect(served, "marketplace-amazon", transport) as client:
            made = document(await client.call_tool("create", task_body(f"t-{uuid.uuid4()}")))
            result = await client.call_tool("wait", {"ids": [made["id"]], "timeout": 0})
            assert not result.is_error
            return document(result)

    result = anyio.run(scenario)
    assert result["outcome"] == "waiting"
    assert [t["status"] for t in result["tasks"]] == ["pending"]  # type: ignore[attr-defined]

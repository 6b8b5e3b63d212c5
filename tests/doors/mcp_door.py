"""The MCP door: `/mcp` on the world's running `mpo serve`, through the SDK's own client
(`mpo mcp` over stdio runs the same tools: tests/mcp). Its status is the exit code a tool
error carries (0 on success), so it compares with the CLI's."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.types import CallToolResult

from tests.doors.doors import ALL_VERBS, PARAMS, Answer, _decide_and_undo
from tests.doors.world import World


class Mcp:
    """Each verb one tool call, `create`'s request as the tool's arguments."""

    name = "mcp"
    verbs: tuple[str, ...] = ALL_VERBS
    extras = frozenset({"created", "prediction"})

    def call(self, world: World, who: str, tool: str, arguments: dict[str, Any]) -> Answer:
        async def run() -> CallToolResult:
            http = create_mcp_http_client(
                headers={"Authorization": f"Bearer {world.tokens[who]}"})
            async with http, Client(streamable_http_client(f"{world.server.url}/mcp",
                                                           http_client=http)) as client:
                return await client.call_tool(tool, arguments)

        result = anyio.run(run)
        body = result.structured_content or {}
        if result.is_error:
            return Answer(f"mcp {tool}", False, int(body["exit_code"]), body,
                          str(body["message"]))
        return Answer(f"mcp {tool}", True, 0, body)

    def create(self, world: World, who: str, request: dict[str, Any]) -> Answer:
        return self.call(world, who, "create", request)

    def verb(self, world: World, who: str, verb: str, task_id: str) -> Answer:
        if verb == "undo":
            return _decide_and_undo(self, world, who, task_id)
        return self.call(world, who, verb, {"ids": [task_id], **PARAMS[verb]})

    def undo(self, world: World, who: str, batch_id: str) -> Answer:
        return self.call(world, who, "undo", {"ref": batch_id})

    def document(self, answer: Answer) -> dict[str, Any] | None:
        return answer.body if isinstance(answer.body, dict) and "id" in answer.body else None

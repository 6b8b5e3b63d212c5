"""The MCP server: one low-level SDK server whose tools and resources are those the
caller's role may use, each call run through one use case; over stdio for `mpo mcp`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from mcp import types
from mcp.server import Server, ServerRequestContext

from mpo import __version__
from mpo.mcp import errors, lifecycle_tools, report_tools, resources, task_tools, wait_tool
from mpo.mcp.caller import Caller
from mpo.mcp.schemas import obj
from mpo.mcp.tooling import Args, Tool, dumps

#: Every tool, in the order an agent meets them.
TOOLS: tuple[Tool, ...] = (*task_tools.TOOLS, *lifecycle_tools.TOOLS, wait_tool.WAIT,
                           *report_tools.TOOLS)
BY_NAME = {t.name: t for t in TOOLS}
INSTRUCTIONS = (
    "mpo is a ledger and workflow for marketplace tasks: agents propose (create, submit), "
    "people approve or reject, members start and complete; every change is in an audit log. "
    "Create with an idempotency_key and retry with the same one; wait for a decision with "
    "wait. The tools listed are those your role may call.")

Resolve = Callable[[ServerRequestContext[Any]], Caller]


def describe(tool: Tool, caller: Caller) -> types.Tool:
    """The tool as listed: its description and its input schema for the caller's rules."""
    return types.Tool(name=tool.name, description=tool.description(),
                      input_schema=obj(tool.properties(caller.rules), tool.required),
                      annotations=types.ToolAnnotations(read_only_hint=tool.read_only))


async def _call(tool: Tool, caller: Caller, ctx: ServerRequestContext[Any],
                arguments: dict[str, Any] | None) -> types.CallToolResult:
    async def progress(done: float, total: float | None, line: str) -> None:
        await ctx.session.report_progress(done, total, line)

    try:
        args = Args(tool.name, arguments, tool.properties(caller.rules))
        document = await tool.run(caller, args, progress)
    except Exception as exc:
        return errors.tool_error(exc)
    text = dumps(document)
    return types.CallToolResult(content=[types.TextContent(text=text)],
                                structured_content=json.loads(text))


def build(resolve: Resolve) -> Server[Any]:
    """The server; `resolve` says who a request acts for (fixed on stdio, the request's
    bearer token over HTTP)."""

    async def list_tools(ctx: ServerRequestContext[Any],
                         params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        caller = resolve(ctx)
        return types.ListToolsResult(tools=[describe(t, caller) for t in TOOLS
                                            if caller.actor.role in t.roles])

    async def call_tool(ctx: ServerRequestContext[Any],
                        params: types.CallToolRequestParams) -> types.CallToolResult:
        caller = resolve(ctx)
        tool = BY_NAME.get(params.name)
        if tool is None:
            from mpo.core.domain.errors import UsageError

            return errors.tool_error(UsageError(
                f"no tool {params.name!r}; mpo has {', '.join(BY_NAME)}"))
        # Listed or not, the use case decides (and records a refusal in the audit log).
        return await _call(tool, caller, ctx, params.arguments)

    async def list_resources(ctx: ServerRequestContext[Any],
                             params: types.PaginatedRequestParams | None
                             ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=resources.listed(resolve(ctx)))

    async def list_templates(ctx: ServerRequestContext[Any],
                             params: types.PaginatedRequestParams | None
                             ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(
            resource_templates=resources.templates(resolve(ctx)))

    async def read_resource(ctx: ServerRequestContext[Any],
                            params: types.ReadResourceRequestParams
                            ) -> types.ReadResourceResult:
        uri = str(params.uri)
        text = await anyio.to_thread.run_sync(resources.read, resolve(ctx), uri)
        return types.ReadResourceResult(contents=[types.TextResourceContents(
            uri=uri, mime_type=resources.JSON_TYPE, text=text)])

    return Server("mpo", version=__version__, instructions=INSTRUCTIONS,
                  on_list_tools=list_tools, on_call_tool=call_tool,
                  on_list_resources=list_resources,
                  on_list_resource_templates=list_templates, on_read_resource=read_resource)


async def serve_stdio(caller: Caller) -> None:
    """Serve one client over stdin/stdout until it goes away, acting for `caller`."""
    from mcp.server.stdio import stdio_server

    server = build(lambda ctx: caller)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())

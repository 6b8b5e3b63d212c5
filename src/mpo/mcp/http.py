"""`/mcp` on `mpo serve`: the same tools over the SDK's streamable HTTP transport
(stateless, so any worker answers any request), each request authenticated by the bearer
token exactly as the API's routes are (`mpo.http.deps`), its refusals counted and answered
with the same 401 problem. Rate limits and the audit log are the use cases' own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from mpo.core.domain.errors import AuthError
from mpo.http import deps
from mpo.mcp.caller import Caller
from mpo.mcp.server import build

PATH = "/mcp"
#: Where a request's authenticated caller waits for the tool handlers (the ASGI scope's
#: state, which the SDK hands them back as the request).
_CALLER = "mpo.mcp.caller"


def _resolve(ctx: ServerRequestContext[Any]) -> Caller:
    if not isinstance(ctx.request, Request):  # every message arrives in an HTTP request
        raise AuthError(deps.MISSING)
    caller: Caller = ctx.request.scope["state"][_CALLER]
    return caller


class Endpoint:
    """The ASGI app at `/mcp`: authenticate, then hand over to the SDK's transport."""

    def __init__(self) -> None:
        self.manager = StreamableHTTPSessionManager(app=build(_resolve), stateless=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        state: deps.Server = request.app.state.mpo
        who = await run_in_threadpool(deps.authenticated, request, await deps.token(request))
        scope.setdefault("state", {})[_CALLER] = Caller(who.actor, who.db, state.rules,
                                                        state.settings, state.limits)
        await self.manager.handle_request(scope, receive, send)

    @asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        """The transport's task group, for the server's lifetime."""
        async with self.manager.run():
            yield

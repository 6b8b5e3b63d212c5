"""The application factory: one FastAPI app over one shared database, its routers, the error
translation, the request middleware and (only when origins are configured) CORS."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import IO, TYPE_CHECKING

from fastapi import FastAPI

from mpo import __version__, bootstrap
from mpo.config.settings import Settings
from mpo.core.usecases.identity import record_refusals
from mpo.delivery.dispatch import attach
from mpo.http import openapi, problems, web
from mpo.http.deps import Server
from mpo.http.metrics import Metrics
from mpo.http.middleware import Observed
from mpo.http.render import JSON
from mpo.http.routers import events, health, lifecycle, log, seed, stats, tasks
from mpo.http.streams import stopping_on_signals
from mpo.store.database import SqlDatabase

if TYPE_CHECKING:
    from mpo.mcp.http import Endpoint

OPENAPI_URL = "/api/v1/openapi.json"


def create_app(settings: Settings, database: SqlDatabase | None = None,
               access_log: IO[str] | None = None, client_certs: str = "none") -> FastAPI:
    """The `mpo serve` application for these settings (and this database, if given);
    `client_certs` as `mpo serve --client-certs` gives it."""
    mcp = _mcp()
    app = FastAPI(
        lifespan=_lifespan(mcp), title="mpo", version=__version__, openapi_url=OPENAPI_URL,
        docs_url="/api/v1/docs", redoc_url=None, default_response_class=JSON,
        description="Marketplace orchestration over HTTP: the seed's /api/orchestration "
        "contract and mpo's own /api/v1. See docs/api.md.",
    )
    metrics = Metrics()
    # One bootstrap for every door: the same rules, and commits heard by hooks and plugins.
    if database is None:
        db = bootstrap.database(settings, shared=True)
    else:
        db = database
        attach(db)
    app.state.mpo = Server(settings, db, metrics, settings.limits, bootstrap.rules(settings),
                           client_certs=client_certs)
    problems.install(app)
    openapi.describe(app)
    for module in (seed, tasks, lifecycle, log, events, stats, health):
        app.include_router(module.router)
    if mcp is not None:
        from starlette.routing import Route

        from mpo.mcp.http import PATH

        app.router.routes.append(Route(PATH, mcp))
    web.mount(app)
    if settings.http_cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(settings.http_cors_origins),
                           allow_methods=["GET", "POST", "PATCH"],
                           allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
                           allow_credentials=True)
    app.add_middleware(Observed, metrics=metrics, log=access_log or _log(settings),
                       body_limit=settings.http_body_limit,
                       bulk_body_limit=settings.http_bulk_body_limit)
    return app


def _mcp() -> Endpoint | None:
    """`/mcp` (docs/mcp.md), when the MCP SDK is installed (`mpo[mcp]`)."""
    if importlib.util.find_spec("mcp") is None:
        return None
    from mpo.mcp.http import Endpoint

    return Endpoint()


def _lifespan(mcp: Endpoint | None) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The server's lifetime: MCP's transport runs through it (when served); told to stop,
    its event streams end at once; on a clean stop, the refusals counted but not recorded
    yet are recorded (issue 22, finding 11)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state: Server = app.state.mpo
        with stopping_on_signals(state.stopping):
            if mcp is None:
                yield
            else:
                async with mcp.lifespan(app):
                    yield
        record_refusals(state.database, state.refusals.drain())

    return lifespan


def _log(settings: Settings) -> IO[str]:
    if settings.http_access_log == "-":
        return sys.stderr
    return open(settings.http_access_log, "a", encoding="utf-8")

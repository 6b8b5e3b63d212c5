"""The cross-cutting parts every route shares, declared once as FastAPI dependencies:
the server's state, who is calling (and the database acting for them), rate limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from mpo.config.settings import Settings
from mpo.core.domain.certificates import Channel
from mpo.core.domain.errors import AuthError, RateLimited
from mpo.core.domain.permissions import Actor
from mpo.core.domain.refusal_gate import RefusalGate
from mpo.core.domain.tokens import SESSION_PREFIX
from mpo.core.domain.validation import Rules
from mpo.core.usecases.identity import authenticate, refuse_anonymous
from mpo.core.usecases.ratelimit import RateLimits
from mpo.http.metrics import Metrics
from mpo.http.tls import presented
from mpo.store.database import SqlDatabase

#: The seed's dashboard authenticates with NextAuth's session cookie; it may carry a token.
SESSION_COOKIE = "next-auth.session-token"
MISSING = ("no credentials: send Authorization: Bearer TOKEN "
           f"(or the {SESSION_COOKIE} cookie)")


@dataclass(frozen=True)
class Server:
    """What one server process holds for all requests."""

    settings: Settings
    database: SqlDatabase
    metrics: Metrics
    limits: RateLimits | None
    #: The rules `mpo.bootstrap` made of the settings (routing, plugin validators).
    rules: Rules
    #: Refusals without a valid credential, per client address (coalesced, rate-limited).
    refusals: RefusalGate = field(default_factory=RefusalGate)
    #: `mpo serve --client-certs`: with "required", every token must be bound to the
    #: client certificate its connection presents (`mpo.core.domain.certificates`).
    client_certs: str = "none"


@dataclass(frozen=True)
class Caller:
    """An authenticated request: who is acting, and the database acting with their token
    (on PostgreSQL row-level security applies to each of its transactions)."""

    actor: Actor
    db: SqlDatabase


async def server(request: Request) -> Server:
    """The server state `create_app` stored."""
    state: Server = request.app.state.mpo
    return state


async def token(request: Request) -> str:
    """The bearer token, or the session cookie's value; never logged."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie
    state: Server = request.app.state.mpo
    state.metrics.auth_failures.inc()
    await run_in_threadpool(refuse_anonymous, state.database, state.refusals,
                            _client(request), MISSING)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def caller(request: Request, given: Annotated[str, Depends(token)]) -> Caller:
    """Authenticate the token the way the CLI does (refusals recorded), with the client
    certificate the connection presented, for tokens bound to one."""
    state: Server = request.app.state.mpo
    db = state.database.acting(given)
    channel = Channel(presented(request.scope), state.client_certs == "required")
    try:
        if given.startswith(SESSION_PREFIX):  # a browser's session is for /web only
            raise AuthError("a web session is not an API token; send a token")
        actor = authenticate(db, given, gate=state.refusals, client=_client(request),
                             channel=channel)
    except (AuthError, RateLimited):
        state.metrics.auth_failures.inc()
        raise
    request.scope.setdefault("state", {})["principal"] = actor.name
    return Caller(actor, db)


async def rules(request: Request) -> Rules:
    """The rules the server's settings configure, as every door builds them."""
    state: Server = request.app.state.mpo
    return state.rules


async def limits(request: Request) -> RateLimits | None:
    """The configured rate limits (checked by the create use case, in its transaction)."""
    state: Server = request.app.state.mpo
    return state.limits


Auth = Annotated[Caller, Depends(caller)]
State = Annotated[Server, Depends(server)]
RulesDep = Annotated[Rules, Depends(rules)]
Limits = Annotated[RateLimits | None, Depends(limits)]

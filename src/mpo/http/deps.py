"""The cross-cutting parts every route shares, declared once as FastAPI dependencies:
the server's state, who is calling (and the database acting for them), rate limits."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from mpo.config.settings import Settings
from mpo.core.domain.certificates import Channel
from mpo.core.domain.errors import AuthError, MpoError, RateLimited
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
#: Where a request keeps its `Caller` (`caller`; read by `Observed` and `problems`).
HELD = "mpo.held"
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
    #: Set once the server has been told to stop: its event streams end (`mpo.http.streams`).
    stopping: threading.Event = field(default_factory=threading.Event)


class Caller:
    """An authenticated request: who is acting, and the database acting with their token
    (on PostgreSQL row-level security applies to each of its transactions).

    The token is checked on first use of `actor` or `db`, in the thread of the route that
    uses them: the route's one trip to a worker thread, not one more for the dependency.
    On PostgreSQL that check's transaction is the one the use case then continues (one
    transaction and one `mpo_authenticate` per request; `SqlDatabase.acting(carry=True)`).
    """

    def __init__(self, request: Request, given: str, carry: bool) -> None:
        self._request, self._given, self._carry = request, given, carry
        self._who: tuple[Actor, SqlDatabase] | None = None
        self._refused: MpoError | None = None

    @property
    def actor(self) -> Actor:
        return self.resolve()[0]

    @property
    def db(self) -> SqlDatabase:
        return self.resolve()[1]

    @property
    def resolved(self) -> bool:
        return self._who is not None or self._refused is not None

    @property
    def holding(self) -> bool:
        """Whether the transaction that authenticated is still open (see `release`)."""
        return self._who is not None and self._who[1].holding

    def release(self) -> None:
        """End the authenticating transaction if no use case continued it."""
        if self._who is not None:
            self._who[1].release()

    def resolve(self) -> tuple[Actor, SqlDatabase]:
        """Authenticate the token (once; a refusal is raised again on each use)."""
        if self._refused is not None:
            raise self._refused
        if self._who is None:
            try:
                self._who = _authenticate(self._request, self._given, self._carry)
            except (AuthError, RateLimited) as exc:
                self._refused = exc
                raise
        return self._who


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


async def caller(request: Request, given: Annotated[str, Depends(token)]) -> Caller:
    """The caller of a route: its token checked the way the CLI does (refusals recorded),
    with the client certificate the connection presented, for tokens bound to one; checked
    when the route first uses it (`Caller`), and before any 422 (`problems`). The request
    keeps it, so that `Observed` ends a transaction no use case continued."""
    who = Caller(request, given, carry=True)
    request.scope.setdefault("state", {})[HELD] = who
    return who


def authenticated(request: Request, given: str) -> Caller:
    """A caller checked now (MCP: its tools run past the request's own routes)."""
    who = Caller(request, given, carry=False)
    who.resolve()
    return who


def _authenticate(request: Request, given: str, carry: bool) -> tuple[Actor, SqlDatabase]:
    state: Server = request.app.state.mpo
    db = state.database.acting(given, carry=carry)
    channel = Channel(presented(request.scope), state.client_certs == "required")
    try:
        if given.startswith(SESSION_PREFIX):  # a browser's session is for /web only
            raise AuthError("a web session is not an API token; send a token")
        actor = authenticate(db, given, gate=state.refusals, client=_client(request),
                             channel=channel)
    except (AuthError, RateLimited):
        db.release()
        state.metrics.auth_failures.inc()
        raise
    request.scope.setdefault("state", {})["principal"] = actor.name
    return actor, db


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

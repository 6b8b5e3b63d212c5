"""Who a browser is: the session cookie (HttpOnly, SameSite=Strict, Secure over TLS, the
session's lifetime) and the person it signs in, checked by the database on every request.

The cookie holds only a session secret (`mpows-...`), never a token; the database keeps its
SHA-256 (`mpo.core.usecases.web_sessions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from mpo.core.domain.errors import AuthError
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.usecases.web_sessions import SESSION_LIFETIME, Opened, session_actor
from mpo.http.deps import Server
from mpo.http.web import csrf
from mpo.store.database import SqlDatabase

COOKIE = "mpo_web"


class SignInFirst(AuthError):
    """No browser session, or one that has ended (expired, signed out, revoked)."""


@dataclass(frozen=True)
class Person:
    """A signed-in request: who, the database acting for them, and their CSRF token."""

    actor: Actor
    db: SqlDatabase
    secret: str
    csrf: str

    def may(self, verb: Verb) -> bool:
        """Whether the role may do `verb` (to show a form; the use case decides)."""
        return self.actor.may(verb)


def secure(request: Request) -> bool:
    """Whether the browser reached us over TLS (then the cookie is `Secure`)."""
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, opened: Opened) -> None:
    """Hand the browser its session secret, readable by no script and sent to no other site."""
    response.set_cookie(COOKIE, opened.secret, max_age=int(SESSION_LIFETIME.total_seconds()),
                        path="/web", httponly=True, samesite="strict", secure=secure(request))


def clear_cookie(request: Request, response: Response) -> None:
    """Make the browser forget its session."""
    response.delete_cookie(COOKIE, path="/web", httponly=True, samesite="strict",
                           secure=secure(request))


def secret_of(request: Request) -> str | None:
    """The session secret the browser sent, if any."""
    return request.cookies.get(COOKIE) or None


async def person(request: Request) -> Person:
    """The person signed in on this browser; `SignInFirst` when nobody is."""
    state: Server = request.app.state.mpo
    secret = secret_of(request)
    if secret is None:
        raise SignInFirst("not signed in")
    db = state.database.acting(secret)
    try:
        actor = await run_in_threadpool(session_actor, db, secret)
    except AuthError:
        state.metrics.auth_failures.inc()
        raise SignInFirst("the session has ended; sign in again") from None
    request.scope.setdefault("state", {})["principal"] = actor.name
    return Person(actor, db, secret, csrf.token_for(secret))


Signed = Annotated[Person, Depends(person)]

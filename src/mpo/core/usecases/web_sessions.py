"""Signing a person in to `mpo serve`'s web pages (issue 23): a pasted token, or a one-time
link an admin prints with `mpo auth web-link`, becomes a short-lived browser session.

The session's secret is returned once, for the cookie; the database keeps its SHA-256 and
checks it like a token (`authenticate`), principal not revoked and session not expired, on
every request: a revoked principal's sessions end at their next request, on any worker.
Agents have no pages (their doors are the API and MCP): they get neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mpo.core.domain import permissions, tokens
from mpo.core.domain.clock import Clock, utcnow
from mpo.core.domain.errors import AuthError, NotFound, PermissionDenied
from mpo.core.domain.permissions import Actor, Role, Verb
from mpo.core.ports import Database
from mpo.core.usecases.identity import authenticate, refusals_recorded

#: How long a browser stays signed in; then the person signs in again.
SESSION_LIFETIME = timedelta(hours=8)
#: How long a one-time sign-in link may wait to be used.
LINK_LIFETIME = timedelta(minutes=15)
NO_AGENTS = "agents have no web pages; their doors are the API and MCP"
BAD_LINK = "the sign-in link is not valid (unknown, used, expired or revoked)"


@dataclass(frozen=True)
class Opened:
    """A new session or link: the secret (shown or set once, never stored) and its end."""

    secret: str
    principal: str
    expires_at: datetime


def sign_in(db: Database, token: str, *, clock: Clock = utcnow) -> Opened:
    """Open a browser session for the person holding `token` (`db` acting with it)."""
    actor = authenticate(db, token)
    if actor.role is Role.AGENT:
        raise PermissionDenied(NO_AGENTS)
    opened = Opened(tokens.mint_session(), actor.name, clock() + SESSION_LIFETIME)
    with db.write() as uow:
        if not uow.web_sessions.issue(actor.name, "session", tokens.digest(opened.secret),
                                      opened.expires_at):
            raise AuthError("the token is not valid (unknown or revoked)")
        uow.commit()
    return opened


def web_link(db: Database, actor: Actor, name: str, *, clock: Clock = utcnow) -> Opened:
    """A one-time sign-in link code for `name` (admins: anyone's; a person: their own)."""
    with refusals_recorded(db, actor, "web-link"):
        if name != actor.name:
            permissions.require(actor, Verb.MANAGE)
        if actor.role is Role.AGENT and name == actor.name:
            raise PermissionDenied(NO_AGENTS)
        opened = Opened(tokens.mint_session(), name, clock() + LINK_LIFETIME)
        with db.write() as uow:
            if not uow.web_sessions.issue(name, "link", tokens.digest(opened.secret),
                                          opened.expires_at):
                raise NotFound(f"no active person named {name} (agents have no web pages)")
            uow.commit()
        return opened


def redeem(db: Database, code: str, *, clock: Clock = utcnow) -> Opened:
    """Use up a one-time link: a new session in its place (the link cannot be used again)."""
    secret = tokens.mint_session()
    expires = clock() + SESSION_LIFETIME
    with db.write() as uow:
        name = uow.web_sessions.redeem(tokens.digest(code.strip()), tokens.digest(secret),
                                       expires)
        if name is None:
            raise AuthError(BAD_LINK)
        uow.commit()
    return Opened(secret, name, expires)


def sign_out(db: Database, secret: str) -> None:
    """End a browser session; ending one already ended changes nothing."""
    with db.write() as uow:
        uow.web_sessions.close(tokens.digest(secret))
        uow.commit()


def session_actor(db: Database, secret: str) -> Actor:
    """Who a browser session acts for (`db` acting with the secret): refused when unknown,
    expired or its principal revoked."""
    if not secret.startswith(tokens.SESSION_PREFIX):
        raise AuthError("not signed in")
    actor = authenticate(db, secret)
    if actor.role is Role.AGENT:
        raise PermissionDenied(NO_AGENTS)
    return actor

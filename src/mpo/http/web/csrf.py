"""Cross-site request forgery: every state-changing request carries a token a forging site
cannot know.

Signed in, the token is derived from the session secret (a hash of it: unguessable without
the HttpOnly cookie, the same on every worker, no server key). Before sign-in, the sign-in
form uses a double-submitted random cookie. A request whose `Origin` is another site is
refused whatever it carries.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qs

from fastapi import Request

from mpo.core.domain.errors import PermissionDenied

FIELD = "csrf"
HEADER = "x-csrf-token"
PRE_COOKIE = "mpo_web_csrf"
MAX_FORM = 64 * 1024


class Forged(PermissionDenied):
    """A state-changing request without the page's CSRF token, or from another site."""


def token_for(secret: str) -> str:
    """The CSRF token of a session."""
    return hashlib.sha256(f"mpo-web-csrf:{secret}".encode()).hexdigest()


def fresh() -> str:
    """A random token for the sign-in form (double-submitted as a cookie)."""
    return secrets.token_urlsafe(32)


async def form(request: Request) -> dict[str, list[str]]:
    """The urlencoded form of a POST (no multipart: the pages send none)."""
    body = await request.body()
    if len(body) > MAX_FORM:
        raise Forged("form too large")
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def check(request: Request, fields: dict[str, list[str]], expected: str | None) -> None:
    """Refuse (403) unless the request carries `expected` and comes from this site."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise Forged(f"cross-site request from {origin} refused")
    given = request.headers.get(HEADER) or (fields.get(FIELD) or [""])[0]
    if not expected or not given or not hmac.compare_digest(given, expected):
        raise Forged("missing or wrong CSRF token: reload the page and try again")


def one(fields: dict[str, list[str]], name: str) -> str | None:
    """A form field's value, stripped; None when absent or blank."""
    value = (fields.get(name) or [""])[0].strip()
    return value or None

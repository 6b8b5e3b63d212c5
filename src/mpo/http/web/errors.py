"""A refused or failed request to the web pages, as a page: the one-line message the CLI
prints, with the HTTP status the API gives it. A page asked for without a session leads
to the sign-in form instead."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from mpo.core.domain.errors import BatchRejected, MpoError
from mpo.http.web import sessions
from mpo.http.web.render import page, redirect


def respond(request: Request, error: MpoError, status: int) -> Response:
    """The page for `error` (or the sign-in form, for a page read without a session)."""
    if isinstance(error, sessions.SignInFirst) and request.method == "GET":
        response: Response = redirect("/web/signin")
        sessions.clear_cookie(request, response)
        return response
    problems = ([f"{p.item[:8]}: {p.reason}" for p in error.problems]
                if isinstance(error, BatchRejected) else [])
    response = page(request, "error.html", status, message=error.message,
                    problems=problems, code=int(error.exit_code), person=None)
    if isinstance(error, sessions.SignInFirst):
        sessions.clear_cookie(request, response)
    return response

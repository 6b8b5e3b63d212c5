"""Errors become responses here, once: the status comes from the core's error class
(`STATUS`, by the nearest class; a rejected batch by the exit code its items share); the
body is RFC 9457 problem+json on `/api/v1` and the seed's `{"error": ...}` on
`/api/orchestration`, where bad input is 400 as it was.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from mpo.core.domain.errors import (
    AmbiguousId,
    AuthError,
    BatchRejected,
    Conflict,
    DatabaseError,
    ExitCode,
    MpoError,
    NotFound,
    PermissionDenied,
    RateLimited,
    TimedOut,
    UsageError,
    ValidationError,
)
from mpo.http.deps import HELD
from mpo.http.render import dumps

SEED_PREFIX = "/api/orchestration"
#: The web pages for people answer errors with a page (mpo.http.web.errors).
WEB_PREFIX = "/web"
PROBLEM = "application/problem+json"
#: Seconds a client should wait when the database is busy or unavailable.
BUSY_RETRY_AFTER = 1


#: The HTTP status of each of the core's error classes (the nearest in an error's MRO).
STATUS: dict[type[MpoError], int] = {
    MpoError: 500, ValidationError: 422, UsageError: 422, NotFound: 404, AmbiguousId: 422,
    AuthError: 401, PermissionDenied: 403, Conflict: 409, RateLimited: 429,
    DatabaseError: 503, TimedOut: 404}
#: A rejected batch's status, from the exit code its problems share.
BATCH_STATUS = {ExitCode.USAGE: 422, ExitCode.NOT_FOUND: 404, ExitCode.AUTH: 403,
                ExitCode.CONFLICT: 409, ExitCode.DATABASE: 503}


def status_of(error: MpoError) -> int:
    """The HTTP status `error` answers with (this layer's own errors carry theirs)."""
    own = getattr(error, "http_status", None)
    if isinstance(own, int):
        return own
    if isinstance(error, BatchRejected):
        return BATCH_STATUS.get(error.exit_code, 409)
    return next(STATUS[c] for c in type(error).__mro__ if c in STATUS)


_STATUSES = (
    (400, "Malformed JSON, or (seed) bad input"), (401, "No, unknown or revoked token"),
    (403, "Not allowed"), (404, "No such task"), (405, "Method not allowed; see Allow"),
    (409, "Conflict: state or idempotency key"), (413, "Body too large"),
    (415, "Not JSON: writes take application/json"), (422, "Invalid input"),
    (429, "Rate limit; see Retry-After"), (503, "Database busy or unavailable; see Retry-After"))
#: RFC 9457 problem details as /api/v1 sends them, and the seed's error body.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:mpo:problem:..., one per error class"},
        "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"},
        "exit_code": {"type": "integer", "description": "The CLI's exit code for it"},
        "retry_after": {"type": "integer"},
        "problems": {"type": "array", "items": {"type": "object", "properties": {
            "item": {"type": "string"}, "reason": {"type": "string"},
            "exit_code": {"type": "integer"}}}}}}
SEED_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
#: The error responses routes declare in the OpenAPI document, per surface.
V1_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}}}
    for code, text in _STATUSES}
SEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"application/json": {"schema": SEED_ERROR_SCHEMA}}}
    for code, text in _STATUSES if code != 422}


def problem_type(error: type[MpoError]) -> str:
    """The problem `type` URI of an error class: one per class, e.g.
    `urn:mpo:problem:permission-denied`."""
    return "urn:mpo:problem:" + re.sub(r"(?<!^)(?=[A-Z])", "-", error.__name__).lower()


def _headers(error: MpoError) -> dict[str, str]:
    if isinstance(error, RateLimited):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, DatabaseError):
        return {"Retry-After": str(BUSY_RETRY_AFTER)}
    if status_of(error) == 401:
        return {"WWW-Authenticate": 'Bearer realm="mpo"'}
    return {}


def respond(request: Request, error: MpoError) -> Response:
    """The response for an error, in the format of the surface the request came to."""
    status, headers = status_of(error), _headers(error)
    if request.url.path.startswith(WEB_PREFIX):
        from mpo.http.web.errors import respond as web_page

        return web_page(request, error, status)
    if request.url.path.startswith(SEED_PREFIX):
        status = 400 if status == 422 else status
        return Response(dumps({"error": error.message}), status, headers,
                        media_type="application/json")
    body: dict[str, Any] = {"type": problem_type(type(error)), "title": _title(error),
                            "status": status, "detail": error.message,
                            "instance": request.url.path, "exit_code": int(error.exit_code)}
    if isinstance(error, BatchRejected):
        body["problems"] = [{"item": p.item, "reason": p.reason, "exit_code": int(p.exit_code)}
                            for p in error.problems]
    if isinstance(error, RateLimited):
        body["retry_after"] = error.retry_after
    return Response(dumps(body), status, headers, media_type=PROBLEM)


def _title(error: MpoError) -> str:
    doc = (type(error).__doc__ or type(error).__name__).strip()
    return doc.splitlines()[0]


class BadRequest(UsageError):
    """The request could not be read: malformed JSON, a body that is not an object."""

    http_status = 400


class BodyTooLarge(MpoError):
    """The request body is larger than the configured limit."""

    http_status = 413


class UnknownRoute(NotFound):
    """No such endpoint, or not with this method."""

    http_status = 404


class MethodNotAllowed(UsageError):
    """The endpoint exists, but not with this method: `Allow` lists those it takes."""

    http_status = 405


class HttpRefusal(MpoError):
    """A refusal of the HTTP framework itself, with its status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.http_status = status


class Unexpected(MpoError):
    """An error mpo did not expect: a bug (the server's log has the traceback)."""

    http_status = 500


def _validation(request: Request, exc: RequestValidationError) -> Response:
    first = exc.errors()[0] if exc.errors() else {}
    if first.get("type") == "json_invalid":
        detail = first.get("ctx", {}).get("error", "cannot parse the body")
        return respond(request, BadRequest(f"malformed JSON: {detail}"))
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    return respond(request, ValidationError(where, str(first.get("msg", "invalid"))))


def _allowed(request: Request) -> str:
    """Every method some route takes at this path (Starlette names only the first's)."""
    methods: set[str] = set()
    routes = list(request.app.routes)
    while routes:
        route = routes.pop()
        inner = getattr(route, "original_router", None)  # an included router
        if inner is not None:
            routes.extend(inner.routes)
        elif route.matches(request.scope)[0] is Match.PARTIAL:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Register the translations on `app`."""

    async def on_mpo(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, MpoError)
        return respond(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        who = request.scope.get("state", {}).get(HELD)
        if who is not None and not who.resolved:  # who calls is answered before what
            try:
                await run_in_threadpool(who.resolve)
            except MpoError as refused:
                return respond(request, refused)
        return _validation(request, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if isinstance(exc.__cause__, MpoError):  # raised while FastAPI read the body
            return respond(request, exc.__cause__)
        if exc.status_code == 404:
            return respond(request, UnknownRoute(f"no endpoint {request.url.path}"))
        if exc.status_code == 405:
            allow = _allowed(request)
            response = respond(request, MethodNotAllowed(
                f"{request.method} {request.url.path}: allowed {allow or 'none'}"))
            response.headers["Allow"] = allow
            return response
        return respond(request, HttpRefusal(str(exc.detail), exc.status_code))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # Starlette still re-raises it afterwards, so the server logs the traceback.
        return respond(request, Unexpected(f"unexpected {type(exc).__name__}"))

    app.add_exception_handler(MpoError, on_mpo)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)

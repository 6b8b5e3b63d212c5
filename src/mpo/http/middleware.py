"""One ASGI middleware around every request: the body size limit, JSON-only writes (a form
or text/plain body is what a cross-site page can send with the session cookie: 415), the
JSON-lines access log (never a header: no Authorization, no cookie), the Prometheus
observations, and the end of a transaction the request's caller left open for a use case
that never came (`deps.caller`: a refusal before any use case ran).

Plain ASGI rather than Starlette's BaseHTTPMiddleware, which costs a task per request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import IO, Any

from starlette.concurrency import run_in_threadpool

from mpo.http.deps import HELD
from mpo.http.metrics import Metrics
from mpo.http.problems import PROBLEM, BodyTooLarge
from mpo.http.render import dumps

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BULK_TYPE = "application/x-ndjson"
#: The methods that carry a body to act on, and the body types they accept.
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = frozenset({"application/json", BULK_TYPE})
#: The web pages' forms (docs/web.md) post forms: each carries a CSRF token, the session
#: cookie is SameSite=Strict and another site's Origin is refused (http/web/csrf).
FORM_TYPE = "application/x-www-form-urlencoded"
PAGES = "/web/"


class Observed:
    """Limits, logs and measures each HTTP request passing to `app`."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, log: IO[str],
                 body_limit: int, bulk_body_limit: int) -> None:
        self.app, self.metrics, self.log = app, metrics, log
        self.body_limit, self.bulk_body_limit = body_limit, bulk_body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500, "bytes": 0}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif message["type"] == "http.response.body":
                status["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            limit = self._limit(scope)
            declared = _header(scope, b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > limit:
                await _too_large(scope, sending, limit)
            elif not _json_or_empty(scope, declared):
                await _refuse(scope, sending, 415, "unsupported-media-type",
                              "Unsupported media type", "Content-Type: a write takes "
                              f"application/json (or {BULK_TYPE} to create many tasks)")
            else:
                await self.app(scope, _capped(receive, limit), sending)
        except BodyTooLarge:
            await _too_large(scope, sending, self._limit(scope))
        finally:
            held = scope.get("state", {}).get(HELD)
            if held is not None and held.holding:
                await run_in_threadpool(held.release)
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe(scope["method"], route, status["code"], elapsed)
            self._write(scope, status, elapsed)

    def _limit(self, scope: Scope) -> int:
        kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        return self.bulk_body_limit if kind == BULK_TYPE else self.body_limit

    def _write(self, scope: Scope, status: dict[str, int], elapsed: float) -> None:
        client = scope.get("client")
        line = {
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "client": client[0] if client else None,
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1") or None,
            "status": status["code"],
            "bytes": status["bytes"],
            "ms": round(elapsed * 1000, 2),
            "principal": scope.get("state", {}).get("principal"),
        }
        self.log.write(json.dumps(line) + "\n")
        self.log.flush()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _capped(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(f"request body larger than {limit} bytes")
        return message

    return wrapped


def _json_or_empty(scope: Scope, declared: str | None) -> bool:
    """Whether a request is not a write, or its body is JSON (or NDJSON), or it has none, or
    it is a web page's form."""
    if scope["method"] not in WRITES:
        return True
    kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    if kind == FORM_TYPE and str(scope.get("path", "")).startswith(PAGES):
        return True
    if kind:
        return kind in JSON_TYPES
    return declared == "0" or (declared is None and _header(scope, b"transfer-encoding") is None)


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    await _refuse(scope, send, 413, "body-too-large", "Request body too large",
                  f"request body larger than {limit} bytes (http_body_limit)")


async def _refuse(scope: Scope, send: Send, status: int, kind: str, title: str,
                  detail: str) -> None:
    """A refusal before the app reads the request: the seed's `{error}` or a problem."""
    seed = scope["path"].startswith("/api/orchestration")
    body = (dumps({"error": detail}) if seed else
            dumps({"type": f"urn:mpo:problem:{kind}", "title": title,
                   "status": status, "detail": detail, "instance": scope["path"]}))
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json" if seed else PROBLEM.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

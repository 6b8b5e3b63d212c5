"""Sending one event to one webhook, signed as Standard Webhooks specify.

Headers: `webhook-id` (mpo's event id, the same on every retry: receivers de-duplicate by
it), `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,` + base64 of the
HMAC-SHA256 of `id.timestamp.body` under the secret). Requests go only to the webhook's own
URL: redirects are not followed (a 3xx is a failure); at most `MAX_RESPONSE` bytes of the
answer are read; and a deadline bounds the whole request, not each read: when it passes, a
timer shuts the socket, so a receiver that sends one byte a second cannot hold it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mpo import __version__
from mpo.core.domain.webhook_rules import check_url
from mpo.delivery import payload

if TYPE_CHECKING:
    from mpo.core.tables.models import Task, TaskEvent
    from mpo.core.tables.stream_models import Webhook

MAX_RESPONSE = 64 * 1024
SECRET_PREFIX = "whsec_"


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _cut(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    """The deadline passed: end the request whatever it is waiting for."""
    expired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def post(url: str, body: bytes, headers: dict[str, str], deadline: float) -> str | None:
    """POST once, all of it (connect, send, answer) within `deadline` seconds; None on a
    2xx answer, else a one-line reason. A URL no request line can carry raises."""
    parts = urlsplit(url)
    kind = (http.client.HTTPSConnection if parts.scheme == "https"
            else http.client.HTTPConnection)
    deadline = max(deadline, 0.001)
    connection = kind(parts.hostname or "", parts.port, timeout=deadline)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    expired = threading.Event()
    timer = threading.Timer(deadline, _cut, (connection, expired))
    timer.daemon = True
    timer.start()
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE)
        status = response.status
    except http.client.InvalidURL:
        raise  # no request can go there: not a failure to retry
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            return f"timeout: no whole answer within {deadline:g} s"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        timer.cancel()
        connection.close()
    if expired.is_set():
        return f"timeout: no whole answer within {deadline:g} s"
    return None if 200 <= status < 300 else f"HTTP {status}"


def sender(secret_for: Callable[[str], str]
           ) -> Callable[[Webhook, TaskEvent, Task | None, float], str | None]:
    """The core's `Sender`: builds the document, signs it with the webhook's secret."""

    def send(hook: Webhook, event: TaskEvent, task: Task | None, deadline: float
             ) -> str | None:
        # A URL stored before URLs were checked raises here: dead-lettered, never sent.
        check_url(hook.url, allow_link_local=True)
        body = json.dumps(payload.document(event, task), separators=(",", ":")).encode()
        message_id = f"mpo-event-{event.id}"
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": f"mpo/{__version__}",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret_for(hook.secret_name), message_id, timestamp,
                                      body),
        }
        return post(hook.url, body, headers, deadline)

    return send

"""Sending one event to one webhook, signed as Standard Webhooks specify.

Headers: `webhook-id` (mpo's event id, the same on every retry: receivers de-duplicate by
it), `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,` + base64 of the
HMAC-SHA256 of `id.timestamp.body` under the secret). Requests go only to the webhook's own
URL: redirects are not followed; a timeout bounds each request and at most
`MAX_RESPONSE` bytes of the answer are read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mpo import __version__
from mpo.delivery import payload

if TYPE_CHECKING:
    from mpo.core.tables.models import Task, TaskEvent
    from mpo.core.tables.stream_models import Webhook

TIMEOUT_S = 10.0
MAX_RESPONSE = 64 * 1024
SECRET_PREFIX = "whsec_"


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one message."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is an answer (a failure), never a new destination


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str]) -> str | None:
    """POST once; None on a 2xx answer, else a one-line reason."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _opener.open(request, timeout=TIMEOUT_S) as response:
            response.read(MAX_RESPONSE)
            return None
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"{type(exc).__name__}: {reason}"


def sender(secret_for: Callable[[str], str]
           ) -> Callable[[Webhook, TaskEvent, Task | None], str | None]:
    """The core's `Sender`: builds the document, signs it with the webhook's secret."""

    def send(hook: Webhook, event: TaskEvent, task: Task | None) -> str | None:
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
        return post(hook.url, body, headers)

    return send

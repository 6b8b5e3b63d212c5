"""HTTP receivers for the webhook tests, real servers on a socket in a thread: one that
checks signatures and de-duplicates as a receiver should (and can be made to fail)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mpo.auth import secrets


@dataclass
class Receiver:
    """What the receiver saw; `down` makes it answer 503, `ack_then_fail` 500 after keeping."""

    secret: str
    url: str = ""
    down: bool = False
    ack_then_fail: bool = False
    attempts: int = 0
    bad_signatures: int = 0
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[tuple[str, int]] = field(default_factory=list)


def _verify(secret: str, headers: Any, body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers["webhook-signature"].split()]
    return any(hmac.compare_digest(expected, s) for s in offered)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(secrets.mint())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            state.attempts += 1
            if not _verify(state.secret, self.headers, body):
                state.bad_signatures += 1
                self.send_response(401)
            elif state.down:
                self.send_response(503)
            else:
                message_id = self.headers["webhook-id"]
                if message_id not in state.seen:  # de-duplicate by id
                    event = json.loads(body)
                    state.seen[message_id] = event
                    state.order.append((event["data"]["task_id"], event["id"]))
                self.send_response(500 if state.ack_then_fail else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class Trickle:
    """A receiver that answers one byte a second (`total` bytes in all); `finished` is set
    once it has sent them all, `cut` when the client hung up first."""

    url: str
    total: int
    finished: threading.Event = field(default_factory=threading.Event)
    cut: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def trickle() -> Iterator[Trickle]:
    listener = socket.create_server(("127.0.0.1", 0))
    state = Trickle(f"http://127.0.0.1:{listener.getsockname()[1]}/slow", total=40)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)  # the request (small: one event)
                answer = b"HTTP/1.1 200 OK\r\n" + b"X" * state.total
                try:
                    for byte in answer[:state.total]:
                        if stop.wait(1.0):
                            return
                        conn.sendall(bytes([byte]))
                except OSError:
                    state.cut.set()
                    continue
                state.finished.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield state
    stop.set()
    listener.close()
    thread.join(5)

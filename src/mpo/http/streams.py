"""Event streams that end when nobody reads them any more.

A stream's frames come from a sync generator in a worker thread, blocked in its waker
between events. Left alone it would notice a client that left only when its next
keep-alive fails to send (`idle` seconds later), and a stopping server (uvicorn waits for
open responses before it exits) only after its graceful-shutdown timeout. So each stream
has an `ended` test for its waker: true once its client disconnects or the server has been
told to stop (SIGINT, SIGTERM); the waker then returns within a tenth of a second and the
stream ends. A browser's EventSource reconnects with Last-Event-ID and misses nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from fastapi.responses import StreamingResponse
from starlette.types import Receive

#: What a stream's response says besides its type: no caching, no proxy buffering.
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class EventStream(StreamingResponse):
    """A `text/event-stream` response whose `gone` is set when its client disconnects."""

    def __init__(self, frames: Iterator[str], gone: threading.Event) -> None:
        super().__init__(frames, media_type="text/event-stream", headers=HEADERS)
        self.gone = gone

    async def listen_for_disconnect(self, receive: Receive) -> None:
        await super().listen_for_disconnect(receive)
        self.gone.set()


def ended(gone: threading.Event, stopping: threading.Event) -> Callable[[], bool]:
    """A stream's `ended` test: its client left, or the server is stopping."""
    return lambda: gone.is_set() or stopping.is_set()


@contextmanager
def stopping_on_signals(stopping: threading.Event) -> Iterator[None]:
    """While the server runs, SIGINT and SIGTERM also set `stopping` before the server's
    own handler runs (only in the main thread, where a server such as uvicorn has set
    one; a handler that is not a function is left alone)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    chained = {sig: handler for sig, handler in previous.items() if callable(handler)}

    def handle(sig: int, frame: FrameType | None) -> Any:
        stopping.set()
        return chained[signal.Signals(sig)](sig, frame)

    for sig in chained:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig, handler in chained.items():
            if signal.getsignal(sig) is handle:
                signal.signal(sig, handler)

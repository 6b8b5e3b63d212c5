"""A progress bar for batches that take more than a second, on an interactive stderr only."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.progress import Progress

DELAY_S = 1.0


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """Yield a `(done, total)` callback; the bar appears once the work has run a second."""
    started = time.monotonic()
    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "progress" not in bar:
            if not sys.stderr.isatty() or time.monotonic() - started < DELAY_S:
                return
            from rich.console import Console
            from rich.progress import Progress

            shown: Progress = Progress(console=Console(stderr=True), transient=True)
            shown.start()
            bar["progress"], bar["task"] = shown, shown.add_task(label, total=total)
        bar["progress"].update(bar["task"], completed=done, total=total)

    try:
        yield update
    finally:
        if "progress" in bar:
            bar["progress"].stop()

"""Whether a terminal app can start here."""

from __future__ import annotations

import sys

from mpo.core.domain.errors import UsageError


def require_terminal(command: str, instead: str) -> None:
    """Refuse to start a full-screen app without a terminal on stdin and stdout."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(f"{command}: needs a terminal (stdin and stdout); {instead}")

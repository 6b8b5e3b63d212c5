"""What the web door's sessions need from storage (issue 23): digests only, never secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class WebSessionStore(Protocol):
    """Browser sessions and one-time sign-in links, kept as the SHA-256 of their secret."""

    def issue(self, principal: str, kind: str, secret_hash: str, expires: datetime) -> bool:
        """Store a session or link for an active person; False if there is none so named.
        On PostgreSQL the database also refuses a session for anyone but the caller."""
        ...

    def redeem(self, code_hash: str, secret_hash: str, expires: datetime) -> str | None:
        """Use up a valid link and open a session in its place; the principal's name, or
        None if the link is unknown, used, expired or its principal revoked."""
        ...

    def close(self, secret_hash: str) -> None:
        """End a session (signing out)."""
        ...

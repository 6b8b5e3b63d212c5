"""What retry-safe verbs need from storage: idempotency keys, claimed per principal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredKey:
    """A key some earlier request claimed: its digest, its answer, and when."""

    request_hash: str
    response: dict[str, Any] | None
    created_at: datetime


class IdempotencyKeys(Protocol):
    """Idempotency keys, each one principal's."""

    def claim(self, principal: str, key: str, request_hash: str, at: datetime
              ) -> StoredKey | None:
        """Take `key` for this transaction's request: None if it was free (now ours until
        the transaction ends), else what an earlier, committed request stored under it."""
        ...

    def answer(self, principal: str, key: str, response: dict[str, Any]) -> None:
        """Store the answer of the request that claimed `key` in this transaction."""
        ...

"""SQL for idempotency keys: claim one atomically, read what it answered, record the answer.

The claim is `INSERT ... ON CONFLICT DO NOTHING`: on PostgreSQL a concurrent claim of the
same key waits for the transaction holding it, then finds its committed answer (or, if that
one rolled back, claims the key itself); SQLite's writers are serialised already. No
unique-violation error aborts the transaction either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from mpo.core.ports.idempotency import StoredKey
from mpo.core.tables.idempotency import IdempotencyKey

_TABLE: Table = IdempotencyKey.__table__  # type: ignore[attr-defined]


class SqlIdempotencyKeys:
    """The store's `mpo.core.ports.idempotency.IdempotencyKeys`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, principal: str, key: str, request_hash: str, at: datetime
              ) -> StoredKey | None:
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" \
            else sqlite_insert
        stmt = insert(_TABLE).values(principal=principal, key=key, request_hash=request_hash,
                                     created_at=at).on_conflict_do_nothing(
            index_elements=["principal", "key"]).returning(_TABLE.c.key)
        if self.session.execute(stmt).first() is not None:
            return None
        row = self.session.execute(
            select(col(IdempotencyKey.request_hash), col(IdempotencyKey.response_json),
                   col(IdempotencyKey.created_at))
            .where(col(IdempotencyKey.principal) == principal, col(IdempotencyKey.key) == key)
        ).one()
        return StoredKey(str(row[0]), row[1], row[2])

    def answer(self, principal: str, key: str, response: dict[str, Any]) -> None:
        self.session.execute(
            update(IdempotencyKey)
            .where(col(IdempotencyKey.principal) == principal, col(IdempotencyKey.key) == key)
            .values(response_json=response)
            .execution_options(synchronize_session=False))

"""Driver errors become `mpo.core.domain.errors` here, once, so no command handles them itself:
busy or unavailable (exit 6), no schema, a refusal by PostgreSQL's guards (exit 4), a
duplicate idempotency key (the core's race)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from mpo.config import urls
from mpo.core.domain.errors import DatabaseError, PermissionDenied
from mpo.core.ports import DuplicateKey
from mpo.store.engine import BUSY_TIMEOUT_MS


@contextmanager
def translated(url: str) -> Iterator[None]:
    """Turn driver errors into mpo errors with their exit codes (6: busy/unavailable)."""
    try:
        yield
    except sa_exc.IntegrityError as exc:
        if "idempotency_key" in str(exc.orig):
            raise DuplicateKey(str(exc.orig)) from exc
        raise
    except sa_exc.OperationalError as exc:
        message = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if "locked" in message or "busy" in message:
            raise DatabaseError(
                "database is busy: another writer held the lock for more than "
                f"{BUSY_TIMEOUT_MS // 1000} s; try again"
            ) from exc
        # Only a missing table means "no schema"; PostgreSQL also says "does not exist"
        # of a missing database, which `mpo init` cannot create.
        if "no such table" in message or message.startswith("relation "):
            raise DatabaseError(
                f"database {urls.redact(url)} has no mpo schema; run `mpo init`"
            ) from exc
        raise DatabaseError(f"database unavailable ({urls.redact(url)}): {message}") from exc
    except sa_exc.ProgrammingError as exc:
        # PostgreSQL's guards and policies refused a write the core let through.
        if getattr(exc.orig, "sqlstate", None) != "42501":
            raise
        first = str(exc.orig).strip().splitlines()[0]
        raise PermissionDenied(f"the database refused: {first}") from exc
    except sa_exc.InterfaceError as exc:
        raise DatabaseError(f"database unavailable ({urls.redact(url)}): {exc.orig}") from exc
    except sa_exc.DatabaseError as exc:
        # The DB-API base class itself (its subclasses, such as ProgrammingError, are bugs):
        # SQLite's "file is not a database", "database disk image is malformed".
        if type(exc) is not sa_exc.DatabaseError:
            raise
        raise DatabaseError(f"database unavailable ({urls.redact(url)}): {exc.orig}") from exc

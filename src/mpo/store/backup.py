"""`mpo db backup`: a consistent copy of a live SQLite database, taken with SQLite's
online-backup API while writers go on (in WAL mode they are never blocked)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from mpo.config import urls
from mpo.core.domain.errors import UsageError, ValidationError


def backup_sqlite(url: str, target: Path, *, force: bool = False) -> int:
    """Copy the database at `url` to `target`; the number of pages copied."""
    source_path = urls.sqlite_path(urls.normalise(url))
    if not urls.is_sqlite(url) or source_path is None:
        raise UsageError("db backup: on PostgreSQL use pg_dump (e.g. `pg_dump -Fc -f mpo.dump "
                         "DBNAME`); see docs/export.md")
    if target.exists() and not force:
        raise ValidationError("path", f"{target} exists; give --force to overwrite it")
    if target.resolve() == source_path.resolve():
        raise ValidationError("path", "is the database itself")
    partial = target.with_name(target.name + ".partial")
    _private(partial)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            # pages=-1: in one step, on one read snapshot; writers carry on meanwhile.
            source.backup(copy, pages=-1)
            pages = int(copy.execute("PRAGMA page_count").fetchone()[0])
        finally:
            copy.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise ValidationError("path", f"cannot back up to {target}: {exc}") from None
    finally:
        source.close()
    partial.replace(target)  # never a half-written file under the name asked for
    return pages


def _private(path: Path) -> None:
    """Create `path` empty and 0600 before SQLite writes to it: a backup holds every task
    and token digest, as the database does (SQLite gives its journal the same mode)."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
        os.chmod(path, 0o600)
    except OSError as exc:
        raise ValidationError("path", f"cannot write {path}: {exc.strerror}") from None

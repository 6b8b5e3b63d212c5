"""Whether the SQLite file a server opened is still the file at its path.

A server holds its database open for days. If the file is deleted (its directory removed,
a restore moved another file into place), SQLite goes on writing to the open, unlinked
inode: every write answers 201 and is gone at the next start (issue 22, finding 12). The
server compares the file's identity (st_dev, st_ino) with the one it opened before each
write and in readiness, and refuses with `DatabaseError` (exit 6, HTTP 503) once it differs.
"""

from __future__ import annotations

import os
from pathlib import Path

from mpo.core.domain.errors import DatabaseError


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class FileWatch:
    """The identity of the database file when it was opened, and the check against it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.opened = _identity(path)

    def check(self) -> None:
        """Raise `DatabaseError` if the file at the path is gone or is another file."""
        now = _identity(self.path)
        if now == self.opened:
            return
        what = "is gone" if now is None else "was replaced by another file"
        raise DatabaseError(
            f"the database file {self.path} {what} since mpo opened it; writes are refused "
            "so that none is lost: restore the file (or `mpo init` a new one) and restart")

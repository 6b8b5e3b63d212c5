"""Search terms and page cursors for `mpo list`: the parts of a list query that are text.

A cursor is keyset pagination on (created_at, id), the list's order: the next page starts
strictly after the last task shown, so tasks created while a script walks the list are
neither repeated nor make it skip any (docs/tasks.md, "Paging").
"""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from mpo.core.domain.errors import ValidationError

#: Words, as both search indexes split text: runs of letters and digits.
_WORD = re.compile(r"\w+")
TERMS_MAX = 20
#: A page of a list over the network (`GET /api/v1/tasks`, the MCP `list` tool): this many
#: tasks unless asked, at most PAGE_MAX.
PAGE, PAGE_MAX = 50, 1000
TERM_MAX = 100
_PREFIX = "c1."


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last task's creation time and id."""

    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        """An opaque, URL-safe token for `--after`."""
        raw = f"{self.created_at.astimezone(UTC).isoformat()}|{self.id.hex}".encode()
        return _PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str) -> Cursor:
    """The cursor `--after TEXT` names; anything else is a validation error."""
    invalid = ValidationError(
        "after", f"{text[:40]!r} is not a cursor; use the next_cursor a paged list printed")
    if not text.startswith(_PREFIX) or len(text) > 200:
        raise invalid
    body = text[len(_PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        stamp, hex_ = raw.split("|")
        created_at = datetime.fromisoformat(stamp)
        task_id = uuid.UUID(hex=hex_)
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    if created_at.tzinfo is None:
        raise invalid
    return Cursor(created_at.astimezone(UTC), task_id)


def terms(text: str) -> tuple[str, ...]:
    """The words of a search, lower-cased, each required (AND); at most 20 of 100 chars."""
    words = tuple(dict.fromkeys(w.lower() for w in _WORD.findall(text)))
    if not words:
        raise ValidationError("search", "needs at least one word (letters or digits)")
    if len(words) > TERMS_MAX:
        raise ValidationError("search", f"at most {TERMS_MAX} words, got {len(words)}")
    long = next((w for w in words if len(w) > TERM_MAX), None)
    if long is not None:
        raise ValidationError("search", f"words must be at most {TERM_MAX} characters")
    return words

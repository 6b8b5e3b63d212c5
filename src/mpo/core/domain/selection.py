"""How a command names tasks: id prefixes (like git) or filters, and list queries."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from mpo.core.domain.errors import UsageError
from mpo.core.domain.paging import Cursor

MIN_PREFIX = 4
_HEX = re.compile(r"^[0-9a-f]+$")


def prefix_bounds(
    ref: str, minimum: int = MIN_PREFIX
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """The lowest and highest UUID an id prefix can name, or None if `ref` is no id prefix
    (of at least `minimum` hex digits: shell completion starts from one).

    A range scan on the primary key serves prefixes on both databases: SQLite stores UUIDs
    as 32 hex characters, PostgreSQL compares its native uuid byte-wise, in the same order.
    """
    hex_ = ref.strip().lower().replace("-", "")
    if len(hex_) < max(minimum, 1) or len(hex_) > 32 or not _HEX.match(hex_):
        return None
    return uuid.UUID(hex_.ljust(32, "0")), uuid.UUID(hex_.ljust(32, "f"))


@dataclass(frozen=True)
class TaskQuery:
    """Filters for listing or selecting tasks; empty tuples mean "any"."""

    statuses: tuple[str, ...] = ()
    marketplaces: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    created_by: tuple[str, ...] = ()
    assigned_to: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    listing_ids: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    newest_first: bool = True
    #: Words that must all occur in the title, description or tags; ranked best first.
    search: tuple[str, ...] = ()
    #: Keyset paging: only tasks after this (created_at, id) in the list's order.
    after: Cursor | None = None
    #: Skip this many matches (the seed's offset pagination).
    offset: int = 0


@dataclass(frozen=True)
class Selection:
    """The tasks a batch verb acts on: explicit id prefixes, or filters, never both."""

    refs: tuple[str, ...] = ()
    marketplaces: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    created_by: tuple[str, ...] = ()
    all: bool = False
    campaigns: tuple[str, ...] = ()
    #: Only the acting principal's own tasks (`--mine`: created by it).
    mine: bool = False

    @property
    def by_filter(self) -> bool:
        """Whether tasks are chosen by filters rather than by ids."""
        return bool(
            self.all or self.marketplaces or self.priorities or self.categories or self.created_by
            or self.campaigns or self.mine
        )

    def check(self) -> None:
        """Refuse an empty selection, ids mixed with filters, or --mine with --created-by."""
        if self.mine and self.created_by:
            raise UsageError("give --mine or --created-by, not both")
        if self.refs and self.by_filter:
            raise UsageError(
                "give task ids or filters (--marketplace, --priority, --category, "
                "--created-by, --campaign, --mine, --all), not both"
            )
        if not self.refs and not self.by_filter:
            raise UsageError(
                "no tasks selected: give task ids (unique prefixes of 4+ characters), "
                "'-' to read ids from stdin, or a filter: --marketplace, --priority, "
                "--category, --created-by, --campaign, --mine, --all"
            )

    def query(self, *statuses: str, me: str | None = None) -> TaskQuery:
        """The list query a filter selection stands for, among tasks in `statuses`;
        `me` is who `--mine` means."""
        created_by = (me,) if self.mine and me is not None else self.created_by
        return TaskQuery(
            statuses=statuses,
            marketplaces=self.marketplaces,
            priorities=self.priorities,
            categories=self.categories,
            created_by=created_by,
            campaigns=self.campaigns,
            newest_first=False,
        )

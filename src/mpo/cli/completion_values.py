"""Dynamic values for shell completion. A completion never writes, never prompts and never
prints an error into the shell: any failure completes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from mpo.core.fields import FieldSet
from mpo.core.vocabulary import Category, Priority, Status, values


def _matching(candidates: list[str], incomplete: str) -> list[str]:
    return [c for c in candidates if c.startswith(incomplete)]


def marketplaces(incomplete: str) -> list[str]:
    """The configured marketplaces."""
    try:
        from mpo.cli.context import current

        names = list(current().settings.marketplaces)
    except Exception:
        from mpo.core.vocabulary import DEFAULT_MARKETPLACES

        names = list(DEFAULT_MARKETPLACES)
    return _matching(names, incomplete)


def statuses(incomplete: str) -> list[str]:
    """Task statuses."""
    return _matching(values(Status), incomplete)


def categories(incomplete: str) -> list[str]:
    """Task categories."""
    return _matching(values(Category), incomplete)


def priorities(incomplete: str) -> list[str]:
    """Task priorities."""
    return _matching(values(Priority), incomplete)


def field_names(field_set: FieldSet) -> Callable[[str], list[str]]:
    """Completes the last name of a comma-separated `--fields` value."""

    def complete(incomplete: str) -> list[str]:
        head, _, last = incomplete.rpartition(",")
        prefix = f"{head}," if head else ""
        return [prefix + f for f in field_set.all if f.startswith(last)]

    return complete


def task_ids(incomplete: str) -> list[str]:
    """Task ids from the database, by prefix (4+ characters), through one indexed query."""
    try:
        from mpo.cli.context import current
        from mpo.store.quick import task_ids as lookup

        return lookup(current().settings.database_url, incomplete)
    except Exception:
        return []

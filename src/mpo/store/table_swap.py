"""A statement built on one table, read from another with the same columns: the archive
reuses the live queries this way (`mpo archive`, docs/archive.md)."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import Column, Table
from sqlalchemy.sql import visitors

S = TypeVar("S")


class Swap:
    """Replaces `source` and its columns by `target` and its same-named columns (SQLAlchemy's
    `ClauseAdapter` only swaps a table for something derived from it)."""

    def __init__(self, source: Table, target: Table) -> None:
        self.source = source
        self.target = target

    def _replace(self, element: Any, **_kw: Any) -> Any:
        if element is self.source:
            return self.target
        if isinstance(element, Column) and element.table is self.source:
            return self.target.c[element.name]
        return None

    def traverse(self, stmt: S) -> S:
        found: Any = visitors.replacement_traverse(
            cast(visitors.ExternallyTraversible, stmt), {}, self._replace)
        return cast(S, found)

"""Full-text search in SQL: FTS5 on SQLite, a GIN-indexed tsvector on PostgreSQL.

Both index the title, description and tags (migration 0007) and take the same words, all
required; results come best match first (bm25 on SQLite, ts_rank on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, table

from mpo.core.tables.models import Task

#: The indexed expression of migration 0007, spelled the same so PostgreSQL uses the index.
TSVECTOR = ("to_tsvector('simple'::regconfig, coalesce(title, '') || ' ' || "
            "coalesce(description, '') || ' ' || coalesce(tags::text, ''))")


def matching(
    stmt: Select[Task], words: Sequence[str], dialect: str
) -> tuple[Select[Task], ColumnElement[float]]:
    """`stmt` narrowed to tasks holding every word, and the rank to order by (best first).

    `words` come from `mpo.core.domain.paging.terms`: letters and digits only, so quoting them
    for FTS5 or joining them for `to_tsquery` cannot change the query's syntax.
    """
    if dialect == "sqlite":
        fts = table("task_search", column("rowid"))
        match = " ".join(f'"{w}"' for w in words)
        stmt = stmt.join(fts, fts.c.rowid == literal_column("task.rowid")).where(
            literal_column("task_search").op("MATCH")(match))
        return stmt, func.bm25(literal_column("task_search")).asc()
    query = func.to_tsquery(literal_column("'simple'::regconfig"), " & ".join(words))
    vector: ColumnElement[Any] = literal_column(TSVECTOR)
    stmt = stmt.where(vector.op("@@")(query))
    return stmt, func.ts_rank(vector, query).desc()


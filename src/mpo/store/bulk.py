"""Writing and reading many rows at once: ids in chunks, and one INSERT (COPY on
PostgreSQL) for many rows past the ORM's unit of work (with SQLite's search index in mind)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any, TypeVar

from sqlalchemy import JSON, Connection, Table

#: Ids per `IN (...)` list: far below SQLite's 32,766 bound parameters, and few round trips.
CHUNK = 5_000
#: From this many rows, SQLite bulk inserts go through a temporary table (see executemany).
STAGE_AT_LEAST = 64
#: SQLite's page cache for a bulk insert, in KiB (`PRAGMA cache_size`, negative): the
#: default 2 MiB spills the thirty indexes' dirty pages to the WAL during the insert and
#: reads them back; a batch of 100,000 tasks touches about 60 MiB of pages.
BULK_CACHE_KIB = 262_144
T = TypeVar("T")


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `CHUNK`."""
    size = CHUNK
    for start in range(0, len(items), size):
        yield items[start:start + size]


def executemany(connection: Connection, table: Table, names: list[str],
                rows: list[list[Any]]) -> None:
    """One INSERT run for every row (the driver's executemany: psycopg pipelines it).

    Values are converted by the columns' own types, as SQLAlchemy stores them, but
    without its per-row parameter bookkeeping, which cost more than the insert itself.
    """
    dialect = connection.dialect
    convert(connection, table, names, rows)
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quoted = _quoted(connection, names)
    marks = ", ".join(mark for _ in names)
    if dialect.name == "postgresql" and len(rows) >= STAGE_AT_LEAST:
        # COPY: one stream of rows, no statement per row to parse, plan and answer. Not into
        # the table itself: PostgreSQL refuses COPY FROM where row-level security applies
        # (the app's logins); into a temporary table, then one INSERT ... SELECT, which the
        # policies and guards check row by row as any INSERT.
        stage = copied(connection, table, names, rows)
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({quoted}) SELECT {quoted} FROM {stage}")
        connection.exec_driver_sql(f"DROP TABLE {stage}")
        return
    if dialect.name != "sqlite" or len(rows) < STAGE_AT_LEAST:
        connection.exec_driver_sql(f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})",
                                   [tuple(row) for row in rows])
        return
    # SQLite: every statement ends with the search index (FTS5) flushing its pending
    # terms as a new segment, so one INSERT per row costs 20 times the rows themselves.
    # Rows go to a temporary table (no triggers, no indexes), then in one statement.
    stage = f"temp.mpo_stage_{table.name}"  # dropped below, or rolled back with it
    connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    connection.exec_driver_sql(f"CREATE TABLE {stage} ({quoted})")
    connection.exec_driver_sql(f"INSERT INTO {stage} VALUES ({marks})",
                               [tuple(row) for row in rows])
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({quoted}) SELECT {quoted} FROM {stage}")
    connection.exec_driver_sql(f"DROP TABLE {stage}")


def convert(connection: Connection, table: Table, names: list[str],
            rows: list[list[Any]]) -> None:
    """`rows`' values (columns `names` of `table`) as the driver takes them, in place."""
    processors = [_processor(connection, table, name) for name in names]
    for n, process in enumerate(processors):
        if process is None:
            continue
        # A batch shares its stamp and batch id: each distinct object converted once.
        last_in: Any = object()
        last_out: Any = None
        for row in rows:
            value = row[n]
            if value is not last_in:
                last_in, last_out = value, process(value)
            row[n] = last_out


def copied(connection: Connection, table: Table, names: list[str],
           rows: list[list[Any]]) -> str:
    """PostgreSQL: converted `rows` COPYed into a new temporary table shaped like
    `table`'s columns `names` (dropped at COMMIT at the latest); its qualified name."""
    stage = f"pg_temp.mpo_stage_{table.name}"
    quoted = _quoted(connection, names)
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {stage.split('.')[1]} ON COMMIT DROP AS "
        f"SELECT {quoted} FROM {table.name} WITH NO DATA")
    driver = connection.connection.dbapi_connection
    with driver.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
            f"COPY {stage} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return stage


def _quoted(connection: Connection, names: list[str]) -> str:
    quote = connection.dialect.identifier_preparer.quote
    return ", ".join(quote(name) for name in names)


def _processor(connection: Connection, table: Table,
               name: str) -> Callable[[Any], Any] | None:
    """How column `name`'s values are bound, as its type binds them; JSON by one encoder
    kept for the batch (`json.dumps` builds one per call: four times the cost)."""
    dialect = connection.dialect
    kind = table.c[name].type
    process: Callable[[Any], Any] | None = kind.dialect_impl(dialect).bind_processor(dialect)
    serializer = getattr(dialect, "_json_serializer", None)
    if (process is None or c_make_encoder is None or dialect.name != "sqlite"
            or not isinstance(kind, JSON) or kind.none_as_null
            or serializer not in (None, json.dumps)):
        return process
    # json.dumps' defaults: ASCII, ", " and ": ", NaN allowed; no cycle check, as the
    # values came from JSON or the domain's plain lists and dicts.
    encode = c_make_encoder(None, _unencodable, encode_basestring_ascii, None, ": ", ", ",
                            False, False, True)
    slow = process

    def fast(value: Any) -> Any:
        if isinstance(value, (dict, list)):
            return "".join(encode(value, 0))
        return slow(value)

    return fast


def _unencodable(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

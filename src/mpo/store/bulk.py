"""Writing and reading many rows at once: ids in chunks, and one INSERT (COPY on
PostgreSQL) for many rows past the ORM's unit of work (with SQLite's search index in mind)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Table

#: Ids per `IN (...)` list: far below SQLite's 32,766 bound parameters, and few round trips.
CHUNK = 5_000
#: From this many rows, SQLite bulk inserts go through a temporary table (see executemany).
STAGE_AT_LEAST = 64
T = TypeVar("T")


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `CHUNK`."""
    size = CHUNK
    for start in range(0, len(items), size):
        yield items[start:start + size]


def executemany(connection: Connection, table: Table, names: list[str],
                rows: list[list[Any]]) -> None:
    """One INSERT run for every row (the driver's executemany: psycopg pipelines it; a
    single row is one plain execute, without a pipeline to set up).

    Values are converted by the columns' own types, as SQLAlchemy stores them, but
    without its per-row parameter bookkeeping, which cost more than the insert itself.
    """
    dialect = connection.dialect
    quoted, marks = _converted(connection, table, names, rows)
    if len(rows) == 1:
        connection.exec_driver_sql(f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})",
                                   tuple(rows[0]))
        return
    if dialect.name == "postgresql" and len(rows) >= STAGE_AT_LEAST:
        # COPY: one stream of rows, no statement per row to parse, plan and answer. Not into
        # the table itself: PostgreSQL refuses COPY FROM where row-level security applies
        # (the app's logins); into a temporary table, then one INSERT ... SELECT, which the
        # policies and guards check row by row as any INSERT.
        stage = f"pg_temp.mpo_stage_{table.name}"
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {stage.split('.')[1]} ON COMMIT DROP AS "
            f"SELECT {quoted} FROM {table.name} WITH NO DATA")
        driver = connection.connection.dbapi_connection
        with driver.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
                f"COPY {stage} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
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
    connection.exec_driver_sql(f"CREATE TABLE {stage} ({quoted})")
    connection.exec_driver_sql(f"INSERT INTO {stage} VALUES ({marks})",
                               [tuple(row) for row in rows])
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({quoted}) SELECT {quoted} FROM {stage}")
    connection.exec_driver_sql(f"DROP TABLE {stage}")


def inserted(connection: Connection, table: Table, names: list[str],
             rows: list[list[Any]]) -> list[dict[str, Any]]:
    """One multi-row INSERT ... RETURNING every column (PostgreSQL, a few rows): each row as
    stored, with what triggers set, by column name and converted as SQLAlchemy reads it."""
    dialect = connection.dialect
    quoted, marks = _converted(connection, table, names, rows)
    columns = list(table.c)
    returned = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    values = ", ".join(f"({marks})" for _ in rows)
    result = connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({quoted}) VALUES {values} RETURNING {returned}",
        tuple(value for row in rows for value in row))
    back = [c.type.dialect_impl(dialect).result_processor(dialect, d[1])
            for c, d in zip(columns, result.cursor.description, strict=True)]
    return [{c.name: value if process is None else process(value)
             for c, process, value in zip(columns, back, stored, strict=True)}
            for stored in result.fetchall()]


def _converted(connection: Connection, table: Table, names: list[str],
               rows: list[list[Any]]) -> tuple[str, str]:
    """Convert `rows` in place for the driver; the quoted column list and one row's marks."""
    dialect = connection.dialect
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in names]
    convert = [(n, process) for n, process in enumerate(processors) if process is not None]
    for n, process in convert:
        # A batch shares its stamp and batch id: each distinct object converted once.
        last_in: Any = object()
        last_out: Any = None
        for row in rows:
            value = row[n]
            if value is not last_in:
                last_in, last_out = value, process(value)
            row[n] = last_out
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    return quoted, ", ".join(mark for _ in names)

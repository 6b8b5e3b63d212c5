"""New task rows in bulk, past the ORM's unit of work: one INSERT (or COPY) for a batch,
and on PostgreSQL, for an app login, the batch checked as one set (`create_batch`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat
from operator import is_not, itemgetter
from typing import Any

from sqlalchemy import Connection, Table

from mpo.core.tables.models import Task, TaskEvent
from mpo.store import create_batch
from mpo.store.bulk import STAGE_AT_LEAST, executemany

#: Every column of a task row, by the attribute that holds it (`meta` is column `metadata`).
_TASK_COLUMNS: tuple[tuple[str, str], ...] = tuple(
    (column.name, attr.key) for attr in Task.__mapper__.column_attrs  # type: ignore[attr-defined]
    for column in attr.columns
)
_TASK_TABLE: Table = Task.__table__  # type: ignore[attr-defined]
_EVENT_TABLE: Table = TaskEvent.__table__  # type: ignore[attr-defined]
#: Whether a connection's login owns the tables, by connection (asked once each).
_OWNS = "mpo_owns_tables"


def _used(states: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The columns some row sets: those NULL in every row are left out, so fewer values
    for the driver to convert. One look per row at the columns the first row leaves NULL."""
    first = states[0]
    unset = [attr for _, attr in _TASK_COLUMNS if first[attr] is None]
    if len(unset) > 1:
        nulls = (None,) * len(unset)
        values = itemgetter(*unset)
        seen = {attr for row in states if (got := values(row)) != nulls
                for attr, value in zip(unset, got, strict=True) if value is not None}
    else:
        seen = {attr for attr in unset
                if any(map(is_not, map(itemgetter(attr), states), repeat(None)))}
    return [(column, attr) for column, attr in _TASK_COLUMNS
            if attr in seen or attr not in unset]


def insert(connection: Connection, tasks: Sequence[Task]) -> None:
    """One multi-row INSERT (executemany; COPY or staged from `STAGE_AT_LEAST` rows)."""
    if not tasks:
        return
    states = [vars(task) for task in tasks]
    used = _used(states)
    executemany(connection, _TASK_TABLE, [column for column, _ in used],
                [[state[attr] for _, attr in used] for state in states])


def as_one_set(connection: Connection, count: int) -> bool:
    """Whether `count` new tasks go through `mpo_create_batch`: PostgreSQL, a batch worth
    staging, and a login the guards check (not the tables' owner, which they let by)."""
    if connection.dialect.name != "postgresql" or count < STAGE_AT_LEAST:
        return False
    owns = connection.info.get(_OWNS)
    if owns is None:
        owns = connection.info[_OWNS] = bool(connection.exec_driver_sql(
            "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
            "WHERE oid = 'task'::regclass").scalar())
    return not owns


def create(connection: Connection, tasks: Sequence[Task],
           events: Sequence[Mapping[str, Any]]) -> bool:
    """`tasks` and their create events through `mpo_create_batch`; True when `tasks` then
    hold what was stored."""
    states = [vars(task) for task in tasks]
    used = _used(states)
    create_batch.create(connection, _TASK_TABLE, [column for column, _ in used],
                        [[state[attr] for _, attr in used] for state in states],
                        _EVENT_TABLE, [[e[k] for k in create_batch.EVENT_COLUMNS]
                                       for e in events])
    # The function stamps `created_at` with now() (and `recorded_by` with the principal,
    # which the rows name already): no need to read 100,000 rows back, unless a column
    # left out as NULL everywhere took a default instead.
    now = connection.exec_driver_sql("SELECT now()").scalar()
    for state in states:
        state["created_at"] = now
    kept = {column for column, _ in used}
    return not any(c.server_default is not None and c.name not in kept
                   for c in _TASK_TABLE.columns)

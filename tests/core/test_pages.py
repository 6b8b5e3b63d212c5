"""Pages of tasks: offset pages with the total, and cursors that resume exactly."""

from __future__ import annotations

import pytest

from mpo.core.errors import ValidationError
from mpo.core.pages import list_page
from mpo.core.paging import decode
from mpo.core.selection import TaskQuery
from mpo.store.database import SqlDatabase
from tests.builders import ADMIN, RULES, make_task
from tests.cli.steps import SQLITE_ONLY


def test_cursors_walk_every_task_once_and_the_total_counts_them_all(db: SqlDatabase) -> None:
    made = {make_task(db, title=f"t{n}").id for n in range(5)}
    seen, cursor = [], None
    while True:
        after = decode(cursor) if cursor else None
        page = list_page(db, ADMIN, TaskQuery(limit=2, after=after), RULES)
        assert page.total == 5
        seen += [t.id for t in page.tasks]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 5 and set(seen) == made


@SQLITE_ONLY
def test_offset_skips_and_status_filters(db: SqlDatabase) -> None:
    for n in range(3):
        make_task(db, title=f"t{n}")
    page = list_page(db, ADMIN, TaskQuery(statuses=("pending",), limit=2, offset=2), RULES)
    assert (len(page.tasks), page.total) == (1, 3)
    assert list_page(db, ADMIN, TaskQuery(statuses=("approved",)), RULES).total == 0


def test_a_forged_cursor_is_refused() -> None:
    with pytest.raises(ValidationError, match="cursor"):
        decode("bm90IGEgY3Vyc29y")

"""`list` a page at a time and full-text search, on both databases (issue 11)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from mpo.core.domain.errors import UsageError, ValidationError
from mpo.core.domain.paging import Cursor, decode, terms
from mpo.core.domain.selection import TaskQuery
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.listing import list_page
from mpo.store.database import SqlDatabase
from tests.builders import ADMIN, RULES, draft, make_task
from tests.cli.steps import SQLITE_ONLY

DOCS: dict[str, dict[str, Any]] = {
    "geo": draft(title="Rewrite GEO titles", description="Buyers search by region.",
                 tags=["seo"]),
    "geo3": draft(title="GEO geo Geo", marketplace="shopee"),
    "images": draft(title="Retake images", description="Geo tagging of photos",
                    tags=["images", "geo"]),
    "tags": draft(title="Price bundles", tags=["titles", "q3"]),
    "accents": draft(title="Traduzir títulos", description="ação rápida"),
    "hyphen": draft(title="Best-practice review", category="best-practice"),
}
SEARCHES: dict[str, set[str]] = {
    "geo": {"geo", "geo3", "images"},
    "GEO titles": {"geo"},
    "titles": {"geo", "tags"},
    "q3 titles": {"tags"},
    "títulos": {"accents"},
    "ação": {"accents"},
    "practice": {"hyphen"},
    "best practice review": {"hyphen"},
    "nothing-like-this": set(),
}


def create(db: SqlDatabase, raws: list[dict[str, Any]]) -> list[Any]:
    items = [(f"line {n}", raw) for n, raw in enumerate(raws, start=1)]
    return [c.task for c in create_tasks(db, ADMIN, items, RULES).tasks]


def test_search_finds_the_same_tasks_on_both_databases(db: SqlDatabase) -> None:
    names = dict(zip((t.id for t in create(db, list(DOCS.values()))), DOCS, strict=True))
    for words, expected in SEARCHES.items():
        page = list_page(db, ADMIN, TaskQuery(search=terms(words)), RULES)
        assert {names[t.id] for t in page.tasks} == expected, words
    ranked = list_page(db, ADMIN, TaskQuery(search=terms("geo")), RULES).tasks
    assert names[ranked[0].id] == "geo3"  # the word three times in a short title
    amazon = list_page(db, ADMIN, TaskQuery(search=terms("geo"), marketplaces=("amazon",)),
                       RULES)
    assert {names[t.id] for t in amazon.tasks} == {"geo", "images"}


def walk(db: SqlDatabase, newest_first: bool, between: Any = None) -> list[Any]:
    seen, cursor = [], None
    while True:
        page = list_page(db, ADMIN, TaskQuery(limit=4, after=cursor,
                                              newest_first=newest_first), RULES)
        seen.extend(t.id for t in page.tasks)
        if page.next_cursor is None:
            return seen
        cursor = decode(page.next_cursor.encode())
        if between is not None:
            between()


def test_a_cursor_walk_sees_each_task_once_while_others_are_created(db: SqlDatabase) -> None:
    # Two bulk creates: tasks of one share their created_at, so ties are paged by id.
    first = {t.id for t in create(db, [draft(title=f"t{n}") for n in range(7)])}
    first |= {t.id for t in create(db, [draft(title=f"u{n}") for n in range(6)])}
    made: set[Any] = set()

    def insert() -> None:
        made.update(t.id for t in create(db, [draft(title="new"), draft(title="new")]))

    newest = walk(db, newest_first=True, between=insert)
    assert len(newest) == len(set(newest)) and set(newest) == first  # new ones are ahead
    oldest = walk(db, newest_first=False, between=insert)
    assert len(oldest) == len(set(oldest)) and first <= set(oldest) <= first | made


def test_bad_cursors_and_search_words_are_validation_errors(db: SqlDatabase) -> None:
    for text in ("", "c1.", "c1.!!!", "abc", "c1." + "QQ" * 30):
        with pytest.raises(ValidationError):
            decode(text)
    for words in ("", "  ...  ", " ".join(f"w{n}" for n in range(21))):
        with pytest.raises(ValidationError):
            terms(words)
    cursor = Cursor(datetime.now(UTC), uuid.uuid4())
    assert decode(cursor.encode()) == cursor
    with pytest.raises(UsageError):
        list_page(db, ADMIN, TaskQuery(search=("geo",), after=cursor), RULES)


def test_cursors_walk_every_task_once_and_the_total_counts_them_all(db: SqlDatabase) -> None:
    made = {make_task(db, title=f"t{n}").id for n in range(5)}
    seen, cursor = [], None
    while True:
        after = decode(cursor) if cursor else None
        page = list_page(db, ADMIN, TaskQuery(limit=2, after=after), RULES, count=True)
        assert page.total == 5
        seen += [t.id for t in page.tasks]
        cursor = page.next_cursor.encode() if page.next_cursor else None
        if cursor is None:
            break
    assert len(seen) == 5 and set(seen) == made


@SQLITE_ONLY
def test_offset_skips_and_status_filters(db: SqlDatabase) -> None:
    for n in range(3):
        make_task(db, title=f"t{n}")
    page = list_page(db, ADMIN, TaskQuery(statuses=("pending",), limit=2, offset=2), RULES,
                     count=True)
    assert (len(page.tasks), page.total) == (1, 3)
    assert list_page(db, ADMIN, TaskQuery(statuses=("approved",)), RULES, count=True).total == 0


def test_a_forged_cursor_is_refused() -> None:
    with pytest.raises(ValidationError, match="cursor"):
        decode("bm90IGEgY3Vyc29y")

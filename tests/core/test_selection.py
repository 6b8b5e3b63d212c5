"""Naming tasks: id prefixes become primary-key ranges; selections are ids or filters."""

from __future__ import annotations

import uuid

import pytest

from mpo.core.domain.errors import ExitCode, UsageError
from mpo.core.domain.selection import MIN_PREFIX, Selection, prefix_bounds


def test_a_prefix_spans_every_uuid_that_starts_with_it() -> None:
    low, high = prefix_bounds("3f2a") or (None, None)
    assert low == uuid.UUID("3f2a0000-0000-0000-0000-000000000000")
    assert high == uuid.UUID("3f2affff-ffff-ffff-ffff-ffffffffffff")


def test_a_full_id_is_its_own_range_with_or_without_dashes_in_any_case() -> None:
    task_id = uuid.uuid4()
    for spelling in (str(task_id), task_id.hex, str(task_id).upper(), f"  {task_id}  "):
        assert prefix_bounds(spelling) == (task_id, task_id)


def test_dashes_inside_a_prefix_are_ignored() -> None:
    assert prefix_bounds("3f2a91c0-7b") == prefix_bounds("3f2a91c07b")


@pytest.mark.parametrize("ref", ["", "3f2", "xyz1", "3f2a!", "g000", "0" * 33, "-"])
def test_too_short_too_long_or_non_hex_refs_are_no_prefix(ref: str) -> None:
    assert prefix_bounds(ref) is None


def test_the_minimum_prefix_is_four_characters() -> None:
    assert MIN_PREFIX == 4
    assert prefix_bounds("a" * MIN_PREFIX) is not None


def test_ids_and_filters_do_not_mix() -> None:
    with pytest.raises(UsageError) as caught:
        Selection(refs=("3f2a",), marketplaces=("amazon",)).check()
    assert caught.value.exit_code is ExitCode.USAGE
    assert "not both" in caught.value.message


def test_an_empty_selection_says_how_to_select() -> None:
    with pytest.raises(UsageError) as caught:
        Selection().check()
    for hint in ("'-'", "--marketplace", "--priority", "--category", "--created-by", "--all"):
        assert hint in caught.value.message


@pytest.mark.parametrize("selection", [
    Selection(refs=("3f2a",)), Selection(all=True), Selection(marketplaces=("amazon",)),
    Selection(priorities=("high",)), Selection(categories=("scaling",)),
    Selection(created_by=("bot",))])
def test_ids_or_any_one_filter_is_a_selection(selection: Selection) -> None:
    selection.check()


def test_a_filter_selection_queries_the_source_status_oldest_first() -> None:
    query = Selection(marketplaces=("amazon",), priorities=("high",)).query("pending")
    assert query.statuses == ("pending",)
    assert (query.marketplaces, query.priorities) == (("amazon",), ("high",))
    assert query.newest_first is False

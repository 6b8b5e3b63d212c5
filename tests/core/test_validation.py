"""Every input rule: limits at and just past their bounds, and messages that name the field
and what is allowed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mpo.core.domain import filter_values, validation
from mpo.core.domain.action_values import transition_params
from mpo.core.domain.errors import ExitCode, ValidationError
from mpo.core.domain.ndjson import ndjson
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.validation import Rules, draft
from mpo.core.domain.vocabulary import DEFAULT_MARKETPLACES, DEFAULT_REJECTION_CODES

RULES = Rules()
BASE = {"marketplace": "amazon", "title": "t", "category": "analysis", "estimated_hours": 1}


def refused(raw: dict[str, Any], rules: Rules = RULES) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        draft(raw, rules)
    assert caught.value.exit_code is ExitCode.USAGE
    assert caught.value.message.startswith(f"{caught.value.field}: ")
    return caught.value


def test_a_minimal_draft_gets_defaults() -> None:
    d = draft(BASE, RULES)
    assert (d.priority, d.description, d.tags, dict(d.metadata)) == ("medium", "", (), {})
    assert d.created_by == "marketplace-amazon"
    assert d.idempotency_key is None


def test_the_seed_camel_case_keys_are_accepted() -> None:
    raw = {"marketplace": "amazon", "title": "t", "category": "analysis",
           "estimatedHours": 2, "createdBy": "bot", "idempotencyKey": "k"}
    d = draft(raw, RULES)
    assert (d.estimated_hours, d.created_by, d.idempotency_key) == (2.0, "bot", "k")


def test_unknown_keys_are_refused_with_the_allowed_list() -> None:
    error = refused({**BASE, "colour": "red"})
    assert error.field == "colour"
    assert all(key in error.message for key in validation.DRAFT_KEYS)


# --- title and description ----------------------------------------------------------------


@pytest.mark.parametrize("title", ["x", "x" * 500, "  padded  "])
def test_titles_of_1_to_500_characters_pass(title: str) -> None:
    assert draft({**BASE, "title": title}, RULES).title == title.strip()


@pytest.mark.parametrize("title", [None, "", "   ", "x" * 501, 42])
def test_titles_outside_1_to_500_characters_are_refused(title: object) -> None:
    error = refused({**BASE, "title": title})
    assert error.field == "title"
    assert "500" in error.message or "text" in error.message


def test_description_may_be_5000_characters_but_not_5001() -> None:
    assert len(draft({**BASE, "description": "d" * 5000}, RULES).description) == 5000
    error = refused({**BASE, "description": "d" * 5001})
    assert (error.field, "5000" in error.message, "5001" in error.message) == (
        "description", True, True)


# --- hours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "kept"), [(0.01, 0.01), (1, 1.0), (1000, 1000.0),
                                             ("4.5", 4.5)])
def test_hours_above_0_up_to_1000_pass(given: object, kept: float) -> None:
    assert draft({**BASE, "estimated_hours": given}, RULES).estimated_hours == kept


@pytest.mark.parametrize("given", [0, -1, 1000.01, float("nan"), float("inf"), "abc", True, [1]])
def test_hours_outside_the_range_or_not_numbers_are_refused(given: object) -> None:
    error = refused({**BASE, "estimated_hours": given})
    assert error.field == "estimated_hours"


def test_missing_hours_say_what_is_expected() -> None:
    error = refused({k: v for k, v in BASE.items() if k != "estimated_hours"})
    assert error.field == "estimated_hours"
    assert "> 0 and <= 1000" in error.message


# --- enums ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "allowed"), [
    ("marketplace", DEFAULT_MARKETPLACES),
    ("category", ("optimization", "best-practice", "scaling", "analysis")),
    ("priority", ("high", "medium", "low")),
])
def test_unknown_enum_values_are_refused_listing_the_allowed_ones(
    field: str, allowed: tuple[str, ...]
) -> None:
    error = refused({**BASE, field: "bogus"})
    assert error.field == field
    assert "'bogus'" in error.message
    assert ", ".join(allowed) in error.message


@pytest.mark.parametrize(("field", "allowed"), [
    ("marketplace", "amazon, shopee"), ("category", "optimization, best-practice")])
def test_missing_required_enums_list_the_allowed_values(field: str, allowed: str) -> None:
    error = refused({k: v for k, v in BASE.items() if k != field})
    assert error.field == field
    assert "required" in error.message and allowed in error.message


def test_marketplaces_are_configurable() -> None:
    rules = Rules(marketplaces=("etsy",))
    assert draft({**BASE, "marketplace": "etsy"}, rules).created_by == "marketplace-etsy"
    assert "etsy" in refused(BASE, rules).message


# --- tags and metadata ----------------------------------------------------------------------


def test_twenty_distinct_tags_pass_and_duplicates_collapse_in_order() -> None:
    tags = [f"t{i}" for i in range(20)]
    assert draft({**BASE, "tags": [*tags, "t0"]}, RULES).tags == tuple(tags)


@pytest.mark.parametrize("tags", [[f"t{i}" for i in range(21)], "geo", ["x" * 51], [""], [1]])
def test_more_than_twenty_tags_or_bad_tags_are_refused(tags: object) -> None:
    assert refused({**BASE, "tags": tags}).field == "tags"


def test_metadata_is_a_json_object_given_as_a_mapping_or_as_text() -> None:
    assert draft({**BASE, "metadata": {"sku": 1}}, RULES).metadata == {"sku": 1}
    assert draft({**BASE, "metadata": '{"sku": 1}'}, RULES).metadata == {"sku": 1}


def test_metadata_may_be_16_kib_but_not_a_byte_more() -> None:
    overhead = len(json.dumps({"k": ""}, separators=(",", ":")))
    at_limit = {"k": "x" * (16 * 1024 - overhead)}
    assert draft({**BASE, "metadata": at_limit}, RULES).metadata == at_limit
    error = refused({**BASE, "metadata": {"k": at_limit["k"] + "x"}})
    assert (error.field, "16384" in error.message) == ("metadata", True)


def test_metadata_size_counts_utf8_bytes_not_characters() -> None:
    error = refused({**BASE, "metadata": {"k": "é" * (9 * 1024)}})
    assert error.field == "metadata"


@pytest.mark.parametrize("metadata", ["[1, 2]", "{not json", [1], "3", {"when": object()}])
def test_metadata_that_is_not_a_json_object_is_refused(metadata: object) -> None:
    assert refused({**BASE, "metadata": metadata}).field == "metadata"


# --- names and keys -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["-x", "a b", "x" * 101, "é"])
def test_creator_names_are_refused_unless_plain(name: str) -> None:
    assert refused({**BASE, "created_by": name}).field == "created_by"


def test_idempotency_keys_are_1_to_200_characters() -> None:
    assert draft({**BASE, "idempotency_key": "k" * 200}, RULES).idempotency_key == "k" * 200
    assert refused({**BASE, "idempotency_key": "k" * 201}).field == "idempotency_key"
    assert refused({**BASE, "idempotency_key": " "}).field == "idempotency_key"


def test_content_leaves_out_the_key_only() -> None:
    d = draft({**BASE, "idempotency_key": "k", "tags": ["a"]}, RULES)
    assert set(d.content()) == set(validation.DRAFT_KEYS) - {"idempotency_key"}


# --- transitions and filters ----------------------------------------------------------------


def test_reason_codes_come_from_the_configured_list() -> None:
    assert transition_params(RULES, "reject", reason_code="duplicate").reason_code == "duplicate"
    with pytest.raises(ValidationError) as caught:
        transition_params(RULES, "reject", reason_code="meh")
    assert caught.value.field == "reason-code"
    assert ", ".join(DEFAULT_REJECTION_CODES) in caught.value.message
    rules = Rules(rejection_codes=("meh",))
    assert transition_params(rules, "reject", reason_code="meh").reason_code == "meh"


@pytest.mark.parametrize(("given", "field"), [
    ({"assignee": "a b"}, "to"), ({"actual_hours": 0}, "actual-hours"),
    ({"actual_hours": 1001}, "actual-hours"), ({"note": "n" * 1001}, "note"),
    ({"reason": "r" * 1001}, "reason")])
def test_transition_values_are_checked(given: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        action = {"assignee": "assign", "actual_hours": "complete", "note": "approve",
                  "reason": "reject"}[next(iter(given))]
        transition_params(RULES, action, **given)
    assert caught.value.field == field


def test_blank_notes_and_reasons_become_none() -> None:
    assert transition_params(RULES, "approve", note="  ").note is None
    assert transition_params(RULES, "reject", reason="").reason is None


@pytest.mark.parametrize(("query", "statuses", "field"), [
    (TaskQuery(marketplaces=("amazom",)), (), "marketplace"),
    (TaskQuery(priorities=("urgent",)), (), "priority"),
    (TaskQuery(categories=("misc",)), (), "category"),
    (TaskQuery(), ("done",), "status")])
def test_filters_that_can_never_match_are_refused(
    query: TaskQuery, statuses: tuple[str, ...], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        filter_values.check(query, RULES, statuses)
    assert caught.value.field == field


# --- NDJSON ---------------------------------------------------------------------------------


def test_ndjson_labels_lines_by_number_skipping_blank_ones() -> None:
    items = ndjson(['{"a": 1}', "", "not json", "[1]", '  {"b": 2}  '])
    assert [label for label, _ in items] == ["line 1", "line 3", "line 4", "line 5"]
    assert items[0][1] == {"a": 1} and items[3][1] == {"b": 2}
    bad = [item for _, item in items if isinstance(item, ValidationError)]
    assert [e.field for e in bad] == ["json", "json"]
    assert "JSON object" in bad[1].message


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_parsing_fast_or_careful_accepts_exactly_i_json(value: Any) -> None:
    """`wellformed.loads` takes a fast path for texts with nothing suspect in them: it must
    agree with the careful walk on every text, accepted or refused."""
    from mpo.core.domain import wellformed

    raw = json.dumps(value, ensure_ascii=False, allow_nan=True)
    try:
        careful: Any = wellformed.checked("v", json.loads(raw))
    except (ValidationError, RecursionError):
        careful = ValidationError
    try:
        fast: Any = wellformed.loads("v", raw)
    except ValidationError:
        fast = ValidationError
    if careful is ValidationError or fast is ValidationError:
        assert careful is fast, raw
    else:
        assert fast == careful or json.dumps(fast) == json.dumps(careful)

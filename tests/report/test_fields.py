"""The documented output fields, `--fields` checking, and how results become rows."""

from __future__ import annotations

import pytest

from mpo.core.domain.errors import ExitCode, ValidationError
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.vocabulary import Action
from mpo.report import fields
from mpo.store.database import SqlDatabase
from tests.builders import PARAMS, RULES, make_task
from tests.builders import db as db  # re-export the fixture

KINDS = [fields.TASK, fields.TASK_DETAIL, fields.CREATED, fields.EVENT, fields.RESULT]


@pytest.mark.parametrize("kind", KINDS)
def test_defaults_are_documented_fields_and_all_is_the_everything_choice(
    kind: fields.FieldSet,
) -> None:
    assert set(kind.default) <= set(kind.all)
    assert len(set(kind.all)) == len(kind.all)
    assert kind.pick(None) == kind.default
    assert kind.pick("", everything=True) == kind.all


def test_requested_fields_are_kept_in_the_order_given() -> None:
    assert fields.TASK.pick(" title , id,status ") == ("title", "id", "status")


@pytest.mark.parametrize("requested", ["id,colour", "nope", ",", "Id"])
def test_an_unknown_field_is_an_error_listing_the_valid_ones(requested: str) -> None:
    with pytest.raises(ValidationError) as caught:
        fields.TASK.pick(requested)
    assert caught.value.field == "fields"
    assert caught.value.exit_code is ExitCode.USAGE
    assert f"valid fields: {', '.join(fields.TASK.all)}" in caught.value.message


def test_the_error_names_each_unknown_field() -> None:
    with pytest.raises(ValidationError) as caught:
        fields.EVENT.pick("at,when,who")
    assert "'when', 'who'" in caught.value.message
    assert "unknown event field" in caught.value.message


def test_created_rows_add_the_created_flag_to_the_task_fields() -> None:
    assert fields.CREATED.all == (*fields.TASK.all, "created")
    assert fields.TASK_DETAIL.default == fields.TASK.all


def test_result_rows_use_result_fields_and_list_skips_after_changes(db: SqlDatabase) -> None:
    from mpo.core.usecases.transitions import transition

    good = make_task(db)
    result = transition(db, Actor("ana", Role.ADMIN), Action.SUBMIT,
                        Selection(refs=(str(good.id), "0000")), PARAMS, RULES,
                        skip_invalid=True)
    rows = fields.result_rows(result)
    assert all(set(r) <= set(fields.RESULT.all) for r in rows)
    assert [(r["id"], r["outcome"]) for r in rows] == [(str(good.id), "changed"),
                                                       ("0000", "skipped")]
    assert rows[0]["batch_id"] == rows[1]["batch_id"] == str(result.batch_id)


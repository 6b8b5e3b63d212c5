"""The documented output fields, `--fields` checking, and how records become rows."""

from __future__ import annotations

import pytest

from mpo.core import fields
from mpo.core.errors import ExitCode, ValidationError
from mpo.core.models import Task, TaskEvent
from mpo.core.permissions import Actor, Role
from mpo.core.selection import Selection
from mpo.core.vocabulary import Action, Status
from mpo.store.database import SqlDatabase
from tests.builders import PARAMS, RULES, make_task, task_in

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


def test_a_task_row_has_exactly_the_task_fields_with_metadata_by_its_name(
    db: SqlDatabase,
) -> None:
    task = task_in(db, Status.COMPLETED, metadata={"sku": 7}, tags=["geo"])
    row = fields.task_row(task)
    assert tuple(row) == fields.TASK.all
    assert (row["metadata"], row["tags"], row["accuracy"]) == ({"sku": 7}, ["geo"], 0.75)
    assert row["id"] == str(task.id)


def test_an_event_row_has_exactly_the_event_fields() -> None:
    task = Task(marketplace="amazon", created_by="a", title="t", category="analysis",
                priority="low", estimated_hours=1)
    row = fields.event_row(TaskEvent(task_id=task.id, actor="a", action="create",
                                     to_status="pending"))
    assert tuple(row) == fields.EVENT.all
    assert (row["task_id"], row["batch_id"], row["payload"]) == (str(task.id), None, {})


def test_result_rows_use_result_fields_and_list_skips_after_changes(db: SqlDatabase) -> None:
    from mpo.core.orchestrator import transition

    good = make_task(db)
    result = transition(db, Actor("ana", Role.ADMIN), Action.SUBMIT,
                        Selection(refs=(str(good.id), "0000")), PARAMS, RULES,
                        skip_invalid=True)
    rows = fields.result_rows(result)
    assert all(set(r) <= set(fields.RESULT.all) for r in rows)
    assert [(r["id"], r["outcome"]) for r in rows] == [(str(good.id), "changed"),
                                                       ("0000", "skipped")]
    assert rows[0]["batch_id"] == rows[1]["batch_id"] == str(result.batch_id)


def test_names_lists_each_field_once_across_kinds() -> None:
    names = fields.names([fields.TASK, fields.EVENT])
    assert len(names) == len(set(names))
    assert set(names) == set(fields.TASK.all) | set(fields.EVENT.all)

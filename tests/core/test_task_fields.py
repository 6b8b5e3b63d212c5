"""A task's and an event's documented fields, and how records become rows of them."""

from __future__ import annotations

from mpo.core.domain import task_fields
from mpo.core.domain.vocabulary import Status
from mpo.core.tables.models import Task, TaskEvent
from mpo.store.database import SqlDatabase
from tests.builders import task_in


def test_a_task_row_has_exactly_the_task_fields_with_metadata_by_its_name(
    db: SqlDatabase,
) -> None:
    task = task_in(db, Status.COMPLETED, metadata={"sku": 7}, tags=["geo"])
    row = task_fields.task_row(task)
    assert tuple(row) == task_fields.TASK
    assert (row["metadata"], row["tags"], row["accuracy"]) == ({"sku": 7}, ["geo"], 0.75)
    assert row["id"] == str(task.id)


def test_an_event_row_has_exactly_the_event_fields() -> None:
    task = Task(marketplace="amazon", created_by="a", title="t", category="analysis",
                priority="low", estimated_hours=1)
    row = task_fields.event_row(TaskEvent(task_id=task.id, actor="a", action="create",
                                          to_status="pending"))
    assert tuple(row) == task_fields.EVENT
    assert (row["task_id"], row["batch_id"], row["payload"]) == (str(task.id), None, {})

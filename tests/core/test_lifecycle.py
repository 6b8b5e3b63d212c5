"""The lifecycle table, and every action tried from every status on a real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mpo.core.domain.errors import ExitCode, InvalidTransition, ValidationError
from mpo.core.domain.lifecycle import (
    BATCH_ACTIONS,
    TERMINAL,
    TRANSITIONS,
    UNDO_MOVES,
    ActionSpec,
    TransitionParams,
    accuracy,
    stamps,
    transition_for,
    why_not,
)
from mpo.core.domain.vocabulary import Action, Status
from mpo.store.database import SqlDatabase
from tests import readback
from tests.builders import PARAMS, PATH, move, task_in

S = Status
EXPECTED = {
    Action.SUBMIT: (S.PENDING, S.AWAITING_APPROVAL),
    Action.APPROVE: (S.AWAITING_APPROVAL, S.APPROVED),
    Action.REJECT: (S.AWAITING_APPROVAL, S.REJECTED),
    Action.ASSIGN: (S.APPROVED, S.IN_PROGRESS),
    Action.START: (S.APPROVED, S.IN_PROGRESS),
    Action.COMPLETE: (S.IN_PROGRESS, S.COMPLETED),
    Action.CANCEL: (frozenset({S.PENDING, S.AWAITING_APPROVAL, S.APPROVED, S.IN_PROGRESS}),
                    S.CANCELLED),
    Action.CLAIM: (S.APPROVED, S.IN_PROGRESS),
    Action.HEARTBEAT: (S.IN_PROGRESS, S.IN_PROGRESS),
    Action.RELEASE: (S.IN_PROGRESS, S.APPROVED),
    Action.NOTE: (S.IN_PROGRESS, S.IN_PROGRESS),
    Action.LEASE_EXPIRED: (S.IN_PROGRESS, S.APPROVED),
}
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_the_table_holds_exactly_the_documented_transitions() -> None:
    def sources(t: ActionSpec) -> object:
        return next(iter(t.sources)) if len(t.sources) == 1 else t.sources

    assert {a: (sources(t), t.target) for a, t in TRANSITIONS.items()} == EXPECTED
    assert set(BATCH_ACTIONS) == set(EXPECTED)
    assert Action.CREATE not in TRANSITIONS
    assert Action.UNDO not in TRANSITIONS


def test_terminal_statuses_are_rejected_completed_and_cancelled_and_nothing_leaves_them(
) -> None:
    assert frozenset({S.REJECTED, S.COMPLETED, S.CANCELLED}) == TERMINAL
    assert not [t for t in TRANSITIONS.values() if t.sources & TERMINAL]


def test_undo_walks_each_transition_backwards() -> None:
    assert (S.CANCELLED, S.APPROVED) in UNDO_MOVES
    assert (S.PENDING, S.AWAITING_APPROVAL) not in UNDO_MOVES


def test_each_transition_declares_every_column_it_stamps() -> None:
    for action, t in TRANSITIONS.items():
        stamped = stamps(t, actor="ana", now=NOW, params=PARAMS, assigned_to=None)
        assert set(stamped) == set(t.columns), action


def test_every_status_is_reachable_from_pending() -> None:
    reached = {S.PENDING} | {t.target for t in TRANSITIONS.values()}
    assert reached == set(S)


def test_why_not_names_the_current_and_the_needed_status() -> None:
    assert why_not(Action.APPROVE, S.PENDING) == "is pending; approve needs awaiting_approval"
    assert "terminal" in why_not(Action.SUBMIT, S.COMPLETED)
    assert "terminal" not in why_not(Action.SUBMIT, S.APPROVED)


@pytest.mark.parametrize(("action", "field"), [
    (Action.REJECT, "reason-code"), (Action.ASSIGN, "to"), (Action.COMPLETE, "actual-hours")])
def test_an_action_without_its_required_value_is_a_usage_error(action: Action, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TransitionParams().require(action)
    assert caught.value.field == field
    assert caught.value.exit_code is ExitCode.USAGE
    assert f"--{field}" in caught.value.message


@pytest.mark.parametrize("action", [Action.SUBMIT, Action.APPROVE, Action.START])
def test_other_actions_need_nothing_beyond_the_selection(action: Action) -> None:
    TransitionParams().require(action)


def test_stamps_record_who_and_when_for_each_action() -> None:
    p = TransitionParams(reason_code="duplicate", reason="same", assignee="bea", actual_hours=2)
    def s(action: Action, assigned_to: str | None = None) -> dict[str, object]:
        return stamps(TRANSITIONS[action], actor="ana", now=NOW, params=p,
                      assigned_to=assigned_to)

    assert s(Action.SUBMIT) == {"submitted_at": NOW}
    assert s(Action.APPROVE) == {"approved_at": NOW, "approved_by": "ana"}
    assert s(Action.REJECT) == {"rejected_at": NOW, "rejected_by": "ana",
                                "rejection_code": "duplicate", "rejection_reason": "same"}
    assert s(Action.ASSIGN) == {"assigned_to": "bea", "assigned_by": "ana", "started_at": NOW}
    assert s(Action.START) == {"assigned_to": "ana", "assigned_by": "ana", "started_at": NOW}
    assert s(Action.START, assigned_to="cy") == {"assigned_to": "cy", "assigned_by": "ana",
                                                 "started_at": NOW}
    assert s(Action.COMPLETE) == {"completed_at": NOW, "completed_by": "ana", "actual_hours": 2,
                                  "completion_notes": None}
    assert s(Action.CANCEL) == {"cancelled_at": NOW, "cancelled_by": "ana",
                                "cancellation_code": "duplicate", "cancellation_reason": "same"}


def test_the_event_reason_is_the_rejection_text_or_the_note() -> None:
    assert TransitionParams(reason_code="dup", reason="why").event_reason(Action.REJECT) == "why"
    assert TransitionParams(reason_code="dup").event_reason(Action.REJECT) == "dup"
    assert TransitionParams(note="go").event_reason(Action.APPROVE) == "go"


@pytest.mark.parametrize(("estimated", "actual", "expected"), [
    (4, 3.5, 0.875), (4, 4, 1.0), (4, 6, 0.5), (4, 8, 0.0), (4, 20, 0.0),
    (None, 3, None), (4, None, None), (0, 3, None)])
def test_accuracy_is_one_minus_the_relative_error_floored_at_zero(
    estimated: float | None, actual: float | None, expected: float | None
) -> None:
    assert accuracy(estimated, actual) == expected


STAMPED = {
    Action.SUBMIT: ("submitted_at",),
    Action.APPROVE: ("approved_at", "approved_by"),
    Action.REJECT: ("rejected_at", "rejected_by", "rejection_code", "rejection_reason"),
    Action.ASSIGN: ("started_at", "assigned_to", "assigned_by"),
    Action.START: ("started_at", "assigned_to", "assigned_by"),
    Action.COMPLETE: ("completed_at", "actual_hours", "completed_by", "completion_notes"),
    Action.CANCEL: ("cancelled_at", "cancelled_by", "cancellation_code"),
    Action.CLAIM: ("started_at", "assigned_to", "assigned_by", "lease_expires_at"),
    Action.HEARTBEAT: ("lease_expires_at",),
    Action.RELEASE: (),
    Action.NOTE: (),
}


@pytest.mark.parametrize("status", list(S))
def test_every_action_from_every_status_moves_or_is_refused_leaving_nothing_behind(
    db: SqlDatabase, database_url: str, status: Status
) -> None:
    # lease_expired needs a lease that ran out: tests/core/test_claims.py
    tasks = {action: task_in(db, status) for action in TRANSITIONS
             if action is not Action.LEASE_EXPIRED}
    for action, task in tasks.items():
        events_before = len(readback.events(database_url))
        row_before = readback.tasks(database_url)[str(task.id)]
        if status in transition_for(action).sources:
            result = move(db, task, action)
            row = readback.tasks(database_url)[str(task.id)]
            assert row["status"] == transition_for(action).target, action
            assert all(row[column] is not None for column in STAMPED[action]), action
            new = readback.events(database_url)[events_before:]
            assert [(e["action"], e["from_status"], e["to_status"], e["batch_id"]) for e in new] \
                == [(action, status, transition_for(action).target, str(result.batch_id))]
        else:
            with pytest.raises(InvalidTransition) as caught:
                move(db, task, action)
            assert caught.value.exit_code is ExitCode.CONFLICT
            assert f"is {status}" in caught.value.message
            assert readback.tasks(database_url)[str(task.id)] == row_before, action
            assert len(readback.events(database_url)) == events_before, action


def test_the_path_to_each_status_is_made_of_table_transitions() -> None:
    for status, actions in PATH.items():
        current = S.PENDING
        for action in actions:
            assert current in transition_for(action).sources
            current = transition_for(action).target
        assert current == status

"""The web pages' reads (issue 23): the task page's routing suggestion and prediction, the
queue board's bands and predictions, "My work"."""

from __future__ import annotations

from mpo.core.domain.routing_rules import parse_rules, parse_teams
from mpo.core.domain.vocabulary import Status
from mpo.core.usecases.queue_board import board
from mpo.core.usecases.task_page import my_work, task_page
from mpo.store.database import SqlDatabase
from tests.builders import ADMIN, RULES, task_in

ROUTING = parse_rules("routing", [{"name": "ads", "team": "Ads", "strategy": "round-robin"}],
                      parse_teams("teams", {"Ads": ["bea"]}))


def test_an_approved_unassigned_task_shows_where_routing_would_send_it(db: SqlDatabase) -> None:
    task = task_in(db, Status.APPROVED)
    shown = task_page(db, ADMIN, str(task.id), ROUTING)
    assert shown.suggestion is not None and shown.suggestion.endswith("-> bea")
    assert [e.action for e in shown.events][-1] == "approve"
    assert task_page(db, ADMIN, str(task.id), ()).suggestion is None
    assert task_page(db, ADMIN, str(task.id), ROUTING).task.assigned_to is None  # a dry run


def test_the_board_and_my_work(db: SqlDatabase) -> None:
    waiting = task_in(db, Status.AWAITING_APPROVAL)
    approved = task_in(db, Status.APPROVED)
    found = board(db, ADMIN, RULES)
    assert [t.id for t in found.queue.tasks] == [waiting.id]
    assert set(found.predictions) == {waiting.id}
    work = my_work(db, ADMIN, RULES)
    assert approved.id in [t.id for t in work.open] and work.mine == []

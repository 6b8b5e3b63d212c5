"""Routing: rules, strategies, the shared round-robin cursor and the audit events."""

from __future__ import annotations

from collections import Counter

import pytest

from mpo.core.domain.errors import ConfigError
from mpo.core.domain.routing_rules import Rule, Strategy, parse_rules, parse_teams
from mpo.core.domain.selection import Selection
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.routing import route
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from tests import readback
from tests.builders import ADMIN, AGENT, PARAMS, RULES, draft, move, task_in

TEAMS = parse_teams("teams", {"Ads": ["ana", "bea", "cy"], "Content": ["dora"]})
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def rules(*raw: dict[str, object]) -> tuple[Rule, ...]:
    return parse_rules("routing", list(raw), TEAMS)


@SQLITE_ONLY
def test_round_robin_over_1000_approvals_spreads_work_within_one_task(db: SqlDatabase) -> None:
    chosen = rules({"name": "ads", "team": "Ads", "strategy": "round-robin"})
    made = 0
    for size in (97, 150, 203, 250, 300):  # uneven batches: the cursor carries over
        items = [("task", draft(title=f"t{made + i}")) for i in range(size)]
        made += size
        create_tasks(db, AGENT, items, RULES)
        transition(db, ADMIN, Action.SUBMIT, Selection(all=True), PARAMS, RULES)
        approved = transition(db, ADMIN, Action.APPROVE, Selection(all=True),
                                           PARAMS, RULES)
        routed = route(db, ADMIN, chosen, task_ids=approved.task_ids)
        assert len(routed.items) == size
    counts = Counter(row["assigned_to"] for row in readback.tasks(db.url).values())
    assert sum(counts.values()) == 1000
    assert max(counts.values()) - min(counts.values()) <= 1, counts


def test_each_assignment_is_an_event_naming_the_rule(db: SqlDatabase, database_url: str) -> None:
    task = task_in(db, Status.APPROVED, category="analysis")
    other = task_in(db, Status.APPROVED, category="scaling")
    chosen = rules({"name": "content", "category": ["analysis"], "team": "Content"})
    assert route(db, ADMIN, chosen, dry_run=True).items[0].outcome == "would_change"
    assert readback.statuses(database_url)[str(task.id)] == "approved"
    result = route(db, ADMIN, chosen)
    assert [i.task.id for i in result.items] == [task.id]
    row = readback.tasks(database_url)[str(task.id)]
    assert (row["status"], row["assigned_to"], row["assigned_by"]) == ("in_progress", "dora",
                                                                        "ana")
    event = readback.events(database_url)[-1]
    assert (event["action"], event["payload"]) == (
        "assign", {"assigned_to": "dora", "rule": "content", "strategy": "round-robin"})
    assert readback.statuses(database_url)[str(other.id)] == "approved"


def test_least_loaded_and_specialist_pick_by_the_databases_numbers(db: SqlDatabase) -> None:
    busy = task_in(db, Status.IN_PROGRESS)  # PARAMS assign it to bea
    assert busy.assigned_to == "bea"
    pool = {"assignees": ["bea", "cy"]}
    for strategy, expected in ((Strategy.LEAST_LOADED, "cy"), (Strategy.SPECIALIST, "bea")):
        if strategy is Strategy.SPECIALIST:
            move(db, busy, Action.COMPLETE)  # bea: one completion, accuracy 0.75
        waiting = task_in(db, Status.APPROVED)
        result = route(db, ADMIN, rules({"name": strategy.value, **pool,
                                          "strategy": strategy.value}))
        assert [(i.task.id, i.detail.split()[-1]) for i in result.items] == [
            (waiting.id, expected)]


@pytest.mark.parametrize(("raw", "message"), [
    ({"name": "x", "assignees": ["zed"]}, "unknown assignee 'zed'"),
    ({"name": "x", "team": "Sales"}, "unknown team 'Sales'"),
    ({"name": "x", "assignees": []}, "give a team or a non-empty list of assignees"),
    ({"name": "x", "team": "Ads", "strategy": "random"}, "strategy 'random' is not one of"),
    ({"name": "x", "team": "Ads", "colour": "red"}, "unknown key 'colour'"),
])
def test_bad_rules_are_refused_with_the_reason(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        rules(raw)

"""The rulebook's use cases decide everything a door used to: routing on approval in the
same transaction, plugin validators on every create path, separation of duties, and undo
of a whole verb (issue 20). Each of these failed before."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from mpo.core.domain.errors import BatchRejected, PermissionDenied, ValidationError
from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.routing_rules import parse_rules
from mpo.core.domain.selection import Selection
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases.campaign import create_campaign
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.decisions import decide, seed_params
from mpo.core.usecases.reads import show_task
from mpo.core.usecases.templates import TemplateSpec, add_template, run_template, tick
from mpo.core.usecases.transitions import transition
from mpo.core.usecases.undo import undo
from mpo.store.database import SqlDatabase
from tests.builders import ADMIN, AGENT, RULES, make_task, proposer, task_in

OTHER_ADMIN = Actor("bo", Role.ADMIN)
MASTER = Actor("marketplace-master", Role.MASTER)
ROUTED = replace(RULES, auto_assign=parse_rules(
    "routing", [{"name": "all", "strategy": "round-robin", "assignees": ["bea"]}]))


def test_an_approval_routes_in_its_own_transaction_and_undo_takes_both_back(
        db: SqlDatabase) -> None:
    task = task_in(db, Status.AWAITING_APPROVAL)
    result = transition(db, ADMIN, Action.APPROVE, Selection(refs=(str(task.id),)),
                        TransitionParams(), ROUTED)
    assert [(i.to_status, i.detail) for i in result.then[0].items] == [
        ("in_progress", "rule all (round-robin) -> bea")]
    assert result.then[0].batch_id == result.batch_id
    stored = show_task(db, ADMIN, str(task.id))[0]
    assert (stored.status, stored.assigned_to) == ("in_progress", "bea")
    back = undo(db, ADMIN, str(result.batch_id))
    assert [(i.from_status, i.to_status) for i in back.items] == [
        ("in_progress", "awaiting_approval")]
    stored = show_task(db, ADMIN, str(task.id))[0]
    assert (stored.status, stored.assigned_to, stored.approved_by) == (
        "awaiting_approval", None, None)


def test_the_seed_dashboard_routes_its_approvals_too(db: SqlDatabase) -> None:
    task = make_task(db)
    result = decide(db, ADMIN, Action.APPROVE, [str(task.id)],
                    seed_params(ROUTED, Action.APPROVE, None), ROUTED)
    assert result.items[0].task.status == "in_progress"  # read back, not rebuilt
    assert result.items[0].task.assigned_to == "bea"


def test_a_plugin_validator_refuses_every_create_path(db: SqlDatabase) -> None:
    def no_shouting(task: dict[str, Any]) -> str | None:
        return "no shouting" if str(task.get("title", "")).isupper() else None

    rules = replace(RULES, validator=no_shouting)
    proposer(db, "marketplace-shopee", "shopee")
    with pytest.raises(ValidationError, match="no shouting"):
        create_campaign(db, ADMIN, "loud", ["amazon"], {
            "title": "LOUD", "category": "analysis", "estimated_hours": 1}, rules)
    add_template(db, ADMIN, TemplateSpec("loud", {
        "marketplace": "amazon", "title": "LOUD", "category": "analysis",
        "estimated_hours": 1, "created_by": "marketplace-amazon"}), RULES)
    with pytest.raises(ValidationError, match="no shouting"):
        run_template(db, ADMIN, "loud", rules)


def test_a_template_author_may_not_decide_what_it_made(db: SqlDatabase) -> None:
    add_template(db, ADMIN, TemplateSpec("audit", {
        "marketplace": "amazon", "title": "Audit A+ pages", "category": "analysis",
        "estimated_hours": 2, "created_by": "marketplace-amazon"}, every="0 9 * * *",
        starts_at=datetime(2026, 1, 1, tzinfo=UTC)), RULES)
    made = tick(db, MASTER, RULES, catch_up=1).result.tasks[0].task  # the master ticks it
    assert made.authored_by == ADMIN.name
    transition(db, AGENT, Action.SUBMIT, Selection(refs=(str(made.id),)),
               TransitionParams(), RULES)
    with pytest.raises(PermissionDenied, match="template"):
        transition(db, ADMIN, Action.APPROVE, Selection(refs=(str(made.id),)),
                   TransitionParams(), RULES)
    transition(db, OTHER_ADMIN, Action.APPROVE, Selection(refs=(str(made.id),)),
               TransitionParams(), RULES)


def test_only_an_admin_other_than_the_proposer_may_undo_a_decision(db: SqlDatabase) -> None:
    made = create_tasks(db, ADMIN, [("t", {
        "marketplace": "amazon", "title": "Mine", "category": "analysis",
        "estimated_hours": 1, "created_by": "marketplace-amazon"})], RULES).tasks[0].task
    decided = decide(db, OTHER_ADMIN, Action.REJECT, [str(made.id)],
                     seed_params(RULES, Action.REJECT, "no"), RULES)
    with pytest.raises(BatchRejected, match="only an admin other than its proposer"):
        undo(db, ADMIN, str(decided.batch_id))
    assert undo(db, OTHER_ADMIN, str(decided.batch_id)).items


def test_campaigns_are_for_the_master_and_admins_and_keep_template_fields(
        db: SqlDatabase) -> None:
    fields = {"title": "11.11 flash sale", "category": "scaling", "estimated_hours": 3}
    with pytest.raises(PermissionDenied):
        create_campaign(db, AGENT, "sale", ["amazon"], fields, RULES)
    add_template(db, ADMIN, TemplateSpec("sale", {
        **fields, "marketplace": "amazon", "created_by": "marketplace-amazon",
        "due_date": "2027-01-31", "listing_id": "B0CX"}), RULES)
    tasks = create_campaign(db, MASTER, "sale", ["amazon"], {}, RULES, template="sale")
    assert (tasks[0].due_date, tasks[0].listing_id, tasks[0].authored_by) == (
        date(2027, 1, 31), "B0CX", ADMIN.name)
    assert tasks[0].campaign == "sale"

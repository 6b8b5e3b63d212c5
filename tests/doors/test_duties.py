"""Separation of duties through every door (issue 20): nobody decides what they proposed,
and a template's author proposed what it makes; only an admin other than the proposer
undoes a decision; campaigns are for the master and admins. And a campaign made from a
template keeps the template's fields, as `mpo template run` does.
"""

from __future__ import annotations

import uuid

import pytest

from mpo.core.create import create_tasks
from mpo.core.permissions import Actor, Role
from mpo.core.validation import Rules
from mpo.core.vocabulary import Action
from tests.doors.doors import DOORS, Answer, Cli, cases
from tests.doors.world import World, fields
from tests.readback import uid

#: How each door says "not permitted": an exit code or an HTTP status (the TUI: no change).
DENIED = {"cli": 4, "http_v1": 403, "http_seed": 403, "tui": None}
ADA = Actor("ada", Role.ADMIN)


def _denied(world: World, door: str, answer: Answer, task_id: str, status: str,
            action: str) -> list[str]:
    found = []
    now = world.row(task_id)["status"]
    if now != status:
        found.append(f"the task moved: {status} -> {now}")
    if any(e["action"] == action for e in world.events(task_id)):
        found.append(f"an {action} event was written")
    expected = DENIED[door]
    if expected is not None and answer.status != expected:
        found.append(f"{answer.call} answered {answer.status}, expected {expected}"
                     + (f": {answer.text}" if answer.text else ""))
    return found


@pytest.mark.parametrize("door", [name for name, _ in cases("approve")])
def test_a_templates_author_may_not_approve_what_it_makes(doors_world: World,
                                                          door: str) -> None:
    """ada writes the template for the shopee agent; root runs it; ada may not approve."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    cli = Cli()
    added = cli.run(doors_world, "ada", "template", "add", name, "-m", "shopee", "-t",
                    f"Audit A+ pages {name}", "-c", "analysis", "-e", "2", "--created-by",
                    "marketplace-shopee")
    assert added.ok, added.problem()
    made = cli.run(doors_world, "root", "template", "run", name)
    assert made.ok, made.problem()
    task_id = str(made.body["id"])
    doors_world.move(task_id, Action.SUBMIT)
    answer = DOORS[door].verb(doors_world, "ada", "approve", task_id)
    found = _denied(doors_world, door, answer, task_id, "awaiting_approval", "approve")
    if found:
        pytest.fail(f"ada approved her own template's task through {door}:\n"
                    + "\n".join(found), pytrace=False)


@pytest.mark.parametrize("door", ["cli", "http_v1"])
def test_only_an_admin_other_than_the_proposer_may_undo_a_decision(doors_world: World,
                                                                   door: str) -> None:
    """ada proposes, root approves; ada may not undo root's decision, root may."""
    draft = fields(f"doors-{uuid.uuid4()}", created_by="ada")
    made = create_tasks(doors_world.owner, ADA, [("task", draft)], Rules())
    task_id = str(made.tasks[0].task.id)
    doors_world.move(task_id, Action.SUBMIT)
    batch = str(doors_world.move(task_id, Action.APPROVE))
    answer = DOORS[door].undo(doors_world, "ada", batch)
    found = _denied(doors_world, door, answer, task_id, "approved", "undo")
    if not found:
        undone = DOORS[door].undo(doors_world, "root", batch)
        now = doors_world.row(task_id)["status"]
        if not undone.ok or now != "awaiting_approval":
            found.append(f"root could not undo its own decision: {undone.problem()}, "
                         f"status {now}")
    if found:
        pytest.fail(f"undo through {door}:\n" + "\n".join(found), pytrace=False)


def test_an_agent_may_not_create_a_campaign(doors_world: World) -> None:
    name = f"c-{uuid.uuid4().hex[:10]}"
    answer = Cli().run(doors_world, "marketplace-amazon", "campaign", "create", name,
                       "-m", "amazon", "-t", "Black Friday bundles", "-c", "scaling", "-e", "6")
    made = doors_world.find(campaign=name)
    found = [f"{len(made)} task(s) created"] if made else []
    if answer.status != DENIED["cli"]:
        found.append(f"{answer.call} exited {answer.status}, expected {DENIED['cli']}"
                     + (f": {answer.text}" if answer.text else ""))
    if found:
        pytest.fail("an agent made a campaign:\n" + "\n".join(found), pytrace=False)


KEPT = ("title", "description", "category", "priority", "estimated_hours", "due_date",
        "listing_id")


def test_a_campaign_keeps_its_templates_fields_as_template_run_does(
        doors_world: World) -> None:
    name = f"t-{uuid.uuid4().hex[:10]}"
    cli = Cli()
    added = cli.run(doors_world, "root", "template", "add", name, "-m", "amazon", "-t",
                    "Audit A+ pages", "-d", "Every hero image", "-c", "analysis", "-p", "high",
                    "-e", "2", "--created-by", "marketplace-amazon", "--due", "2031-05-17",
                    "--listing", "B0-TEMPLATE-1")
    assert added.ok, added.problem()
    ran = cli.run(doors_world, "root", "template", "run", name)
    assert ran.ok, ran.problem()
    one = doors_world.row(str(ran.body["id"]))
    expected = {k: str(one[k]) if k == "due_date" else one[k] for k in KEPT}
    assert (expected["due_date"], expected["listing_id"]) == ("2031-05-17", "B0-TEMPLATE-1")
    campaign = f"c-{uuid.uuid4().hex[:10]}"
    made = cli.run(doors_world, "root", "campaign", "create", campaign, "-m", "amazon,shopee",
                   "--template", name)
    assert made.ok, made.problem()
    found = []
    for row in doors_world.find(campaign=campaign):
        got = {k: str(row[k]) if k == "due_date" and row[k] is not None else row[k]
               for k in KEPT}
        found += [f"{row['marketplace']}: {k} {got[k]!r}, template run gives {v!r}"
                  for k, v in expected.items() if got[k] != v]
    answered = {uid(t["id"]): t for t in made.body}
    found += [f"campaign create answered {k}={t[k]!r} for {t['marketplace']}"
              for t in answered.values() for k in ("due_date", "listing_id")
              if t[k] != expected[k]]
    if found:
        pytest.fail("campaign create --template:\n" + "\n".join(found), pytrace=False)

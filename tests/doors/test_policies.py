"""The rules every door must apply alike (issue 20), on SQLite and on PostgreSQL as an
`mpo_app` login:

- a plugin's `mpo_validate_create` runs "before each task is created" (docs/events.md):
  whichever way a task comes in (`mpo create`, `/api/v1`, the seed, `mpo campaign create`,
  `mpo template run`), a title the plugin refuses creates nothing, and the caller gets a
  validation error with the plugin's message. The plugin is a real distribution with an
  entry point (tests/doors/world.py), importable by this process and by `mpo serve`;
- separation of duties: nobody decides what they proposed, and a template's author proposed
  what it makes; only an admin other than the proposer undoes a decision; campaigns are
  for the master and admins (docs/campaign.md);
- a campaign made from a template keeps the template's fields, as `mpo template run` does.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from mpo.core.domain.clock import utcnow
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.tables.models import TaskTemplate
from mpo.core.usecases.create import create_tasks
from tests.doors.doors import DOORS, Answer, Cli, cases
from tests.doors.world import REFUSAL, REFUSED, World, fields
from tests.readback import uid

#: How each way in says "invalid": an exit code or an HTTP status.
REFUSED_WITH = {"cli": 2, "http_v1": 422, "http_seed": 400, "campaign": 2, "template": 2}


def _campaign(world: World, title: str) -> Answer:
    """`mpo campaign create`, by the first admin, for two marketplaces."""
    return Cli().run(world, "root", "campaign", "create", f"c-{uuid.uuid4().hex[:10]}",
                     "-m", "amazon,shopee", "-t", title, "-c", "analysis", "-e", "2")


def _template(world: World, title: str) -> Answer:
    """`mpo template run` of a template stored before the plugin was installed (written
    straight to its table: whether `template add` should refuse it is another question)."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    now = utcnow()
    with world.owner.write() as uow:
        uow.templates.add(TaskTemplate(
            name=name, every=None, starts_at=now, created_at=now, created_by="root",
            fields={"marketplace": "amazon", "title": title, "category": "analysis",
                    "estimated_hours": 2, "created_by": "marketplace-amazon"}))
        uow.commit()
    return Cli().run(world, "root", "template", "run", name)


def _door(name: str) -> Callable[[World, str], Answer]:
    def create(world: World, title: str) -> Answer:
        return DOORS[name].create(world, "marketplace-amazon",
                                  fields(f"doors-{uuid.uuid4()}", title=title))

    return create


WAYS: dict[str, Callable[[World, str], Answer]] = {
    "cli": _door("cli"), "http_v1": _door("http_v1"), "http_seed": _door("http_seed"),
    "campaign": _campaign, "template": _template}


@pytest.mark.parametrize("way", list(WAYS))
def test_a_plugin_refuses_a_create_whichever_way_it_comes(doors_world: World,
                                                          way: str) -> None:
    title = f"{REFUSED} {uuid.uuid4().hex[:8]}"
    answer = WAYS[way](doors_world, title)
    made = doors_world.find(title=title)
    found = []
    if made:
        found.append(f"{len(made)} task(s) created with the refused title")
    if answer.status != REFUSED_WITH[way]:
        found.append(f"{answer.call} answered {answer.status}, expected {REFUSED_WITH[way]}"
                     + (f": {answer.text}" if answer.text else ""))
    elif REFUSAL not in answer.text:
        found.append(f"{answer.call} did not give the plugin's reason: {answer.text}")
    if found:
        pytest.fail(f"{way}:\n" + "\n".join(found), pytrace=False)


def test_the_plugin_lets_other_titles_through_every_way(doors_world: World) -> None:
    """The control: the same calls with an ordinary title create their tasks."""
    for way, create in WAYS.items():
        title = f"Ordinary title {uuid.uuid4().hex[:8]}"
        answer = create(doors_world, title)
        assert doors_world.find(title=title), f"{way}: {answer.problem()}"


#: How each door says "not permitted": an exit code or an HTTP status (the TUI: no change).
DENIED = {"cli": 4, "http_v1": 403, "http_seed": 403, "tui": None, "mcp": 4}
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

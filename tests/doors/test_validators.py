"""A plugin's `mpo_validate_create` runs "before each task is created" (docs/events.md):
whichever way the task comes in, a title the plugin refuses creates nothing, and the
refusal reaches the caller as a validation error naming the plugin's message.

The plugin is a real distribution with an entry point (tests/doors/world.py), importable by
the test process (the CLI) and by `mpo serve`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from mpo.core.clock import utcnow
from mpo.core.models import TaskTemplate
from tests.doors.doors import DOORS, Answer, Cli
from tests.doors.world import REFUSAL, REFUSED, World, fields

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

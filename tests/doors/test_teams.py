"""Teams through every door (issue 25), on SQLite and on PostgreSQL as an `mpo_app` login:
a team's admin decides only its team's tasks, and work goes only to people of the task's
team, whichever door the request comes through (the CLI, /api/v1, the seed's
/api/orchestration, MCP, and `mpo review` where it has the verb)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases import identity, teams
from mpo.core.usecases.create import create_tasks
from mpo.http.web import csrf
from tests.doors.doors import DOORS, cases
from tests.doors.mcp_door import Mcp
from tests.doors.world import ROOT, World, fields

#: How each door refuses: not permitted, or (PostgreSQL hides other teams' tasks) not
#: found; the TUI's queue simply does not show the task.
ADA = Actor("ada", Role.ADMIN)
REFUSED = {"cli": {3, 4}, "http_v1": {403, 404}, "http_seed": {403, 404}, "mcp": {3, 4},
           "tui": None}


@pytest.fixture(scope="module")
def asia(doors_world: World) -> World:
    """Team asia (shopee) with its admin lea; bruno, whom the doors assign to, moved in."""
    if "lea" not in doors_world.tokens:
        teams.add_team(doors_world.owner, ROOT, "asia", "shopee", Rules())
        doors_world.tokens["lea"] = identity.add_principal(
            doors_world.owner, ROOT, "lea", "admin", None, Rules(), team="asia").token
        teams.move_principal(doors_world.owner, ROOT, "bruno", "asia")
    return doors_world


def _shopee(world: World) -> str:
    """A pending shopee task, proposed (by root) for the shopee agent."""
    draft = fields(f"teams-{uuid.uuid4()}", marketplace="shopee",
                   created_by="marketplace-shopee")
    return str(create_tasks(world.owner, ROOT, [("task", draft)], Rules()).tasks[0].task.id)


def _refusal(world: World, door: str, status: int | None, task_id: str, was: str,
             action: str) -> list[str]:
    found = []
    now = world.row(task_id)["status"]
    if now != was:
        found.append(f"the task moved: {was} -> {now}")
    if any(e["action"] == action for e in world.events(task_id)):
        found.append(f"an {action} event was written")
    expected = REFUSED[door]
    if expected is not None and status not in expected:
        found.append(f"answered {status}, expected one of {sorted(expected)}")
    return found


@pytest.mark.parametrize(("door", "verb"), cases("approve", "reject"))
def test_a_team_admin_decides_only_its_teams_tasks(asia: World, door: str, verb: str) -> None:
    amazon = asia.new_task()
    asia.move(amazon, Action.SUBMIT)
    answer = DOORS[door].verb(asia, "lea", verb, amazon)
    found = _refusal(asia, door, answer.status, amazon, "awaiting_approval", verb)
    shopee = _shopee(asia)
    asia.move(shopee, Action.SUBMIT)
    own = DOORS[door].verb(asia, "lea", verb, shopee)
    if asia.row(shopee)["status"] == "awaiting_approval":
        found.append(f"lea could not {verb} her own team's task: {own.problem()}")
    if found:
        pytest.fail(f"{verb} through {door}:\n" + "\n".join(found), pytrace=False)


@pytest.mark.parametrize(("door", "verb"), cases("assign"))
def test_work_goes_only_to_people_of_the_tasks_team(asia: World, door: str,
                                                    verb: str) -> None:
    """root (organisation-wide) assigns an amazon task to bruno, who is in asia."""
    amazon = asia.new_task()
    asia.move(amazon, Action.SUBMIT, Action.APPROVE)
    answer = DOORS[door].verb(asia, "root", verb, amazon)
    found = _refusal(asia, door, answer.status, amazon, "approved", verb)
    if REFUSED[door] is not None and "team asia" not in answer.text:
        found.append(f"the refusal does not name the team: {answer.text!r}")
    shopee = _shopee(asia)
    asia.move(shopee, Action.SUBMIT, Action.APPROVE, actor=ADA)  # root recorded it
    given = DOORS[door].verb(asia, "root", verb, shopee)
    if asia.row(shopee)["assigned_to"] != "bruno":
        found.append(f"bruno was not given his team's task: {given.problem()}")
    if found:
        pytest.fail(f"{verb} through {door}:\n" + "\n".join(found), pytrace=False)


def _created(document: dict[str, Any]) -> int:
    return int(document["pipeline"]["window"]["created"])


def test_reports_by_team_over_http_mcp_and_the_web_page(asia: World) -> None:
    """`GET /api/v1/stats?team=`, the MCP tools `stats` and `status`, and the web dashboard:
    a team's numbers, a team admin's own by default, another team refused."""
    asia.new_task()
    _shopee(asia)
    everything = asia.http("root").get("/api/v1/stats").json()
    by_team = asia.http("root").get("/api/v1/stats", params={"team": "asia"}).json()
    own = asia.http("lea").get("/api/v1/stats").json()
    assert by_team["marketplaces"] == own["marketplaces"] == ["shopee"]
    assert _created(by_team) == _created(own) < _created(everything)
    other = asia.http("lea").get("/api/v1/stats", params={"team": "default"})
    assert other.status_code == 403, other.text
    mcp = Mcp()
    stats = mcp.call(asia, "lea", "stats", {})
    assert stats.ok and _created(stats.body) == _created(own)
    status = mcp.call(asia, "root", "status", {"team": "asia"})
    mine = mcp.call(asia, "lea", "status", {})
    assert status.ok and status.body["queue"] == mine.body["queue"]
    assert mcp.call(asia, "lea", "status", {"team": "default"}).status == 4
    page = _web(asia, "lea").get("/web/dashboard")
    assert page.status_code == 200 and "team asia" in page.text
    assert _web(asia, "root").get("/web/dashboard", params={"team": "nope"}).status_code == 422


def _web(world: World, who: str) -> httpx.Client:
    """A browser-like client signed in to the web pages as `who`."""
    client = httpx.Client(base_url=world.server.url, timeout=30)
    form = client.get("/web/signin")
    token = client.cookies[csrf.PRE_COOKIE]
    signed = client.post("/web/signin", data={csrf.FIELD: token, "token": world.tokens[who]})
    assert signed.status_code in (200, 303), signed.text
    assert form.status_code == 200
    return client

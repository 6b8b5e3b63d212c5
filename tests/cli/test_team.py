"""`mpo team add | list | members`, `mpo principal add --team` and `principal move`, and a
team's admin at the CLI: its team's tasks only, work only to its team, reports by team."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.conftest import Run
from tests.conftest import MpoRunner
from tests.readback import statuses


@pytest.fixture
def asia(runner: MpoRunner, initialised: str) -> dict[str, Any]:
    """Team asia (shopee): its admin lea, ana moved in; ada, an organisation-wide admin; a
    task awaiting approval in amazon and one in shopee (root records them)."""
    assert runner("team", "add", "asia", "--marketplaces", "shopee").exit_code == 0
    lea = runner.json("principal", "add", "lea", "--role", "admin", "--team", "asia")["token"]
    assert runner("principal", "move", "ana", "--team", "asia").exit_code == 0
    ada = runner.json("principal", "add", "ada", "--role", "admin")["token"]
    tasks = {}
    for market in ("amazon", "shopee"):
        made = runner.json("create", "-m", market, "-t", f"{market} task", "-c", "analysis",
                           "-e", "2", "--created-by", f"marketplace-{market}", "--submit")
        tasks[market] = made["id"]
    return {"lea": {"MPO_TOKEN": lea}, "ada": {"MPO_TOKEN": ada}, "tasks": tasks,
            "url": initialised}


def test_one_team_by_default_covering_every_marketplace(runner: MpoRunner,
                                                        initialised: str) -> None:
    listed = runner.json("team", "list")
    assert [(t["name"], t["marketplaces"]) for t in listed] == [("default", "*")]
    people = runner.json("principal", "list", "--fields", "name,team")
    assert {p["team"] for p in people} == {"default"}


def test_teams_are_added_listed_and_their_members_shown(runner: MpoRunner,
                                                        asia: dict[str, Any]) -> None:
    listed = {t["name"]: t for t in runner.json("team", "list")}
    assert listed["asia"]["marketplaces"] == "shopee"
    assert listed["asia"]["members"] == 2
    members = runner.json("team", "members", "asia")
    assert [m["name"] for m in members] == ["ana", "lea"]
    assert runner("principal", "move", "ana", "--team", "default").exit_code == 0
    assert [m["name"] for m in runner.json("team", "members", "asia")] == ["lea"]


@pytest.mark.parametrize(("args", "code", "message"), [
    (("team", "add", "eu", "--marketplaces", "ebay"), 2, "marketplaces: 'ebay' is not one of"),
    (("team", "add", "asia", "--marketplaces", "amazon"), 5, "a team named asia already"),
    (("principal", "add", "zed", "--role", "member", "--team", "nope"), 2, "team: 'nope'"),
    (("principal", "move", "marketplace-amazon", "--team", "asia"), 2,
     "team asia (shopee) does not cover it"),
    (("team", "members", "nope"), 2, "team: 'nope' is not one of asia, default"),
])
def test_bad_team_requests_are_refused_naming_the_field(
        runner: MpoRunner, asia: dict[str, Any], args: tuple[str, ...], code: int,
        message: str) -> None:
    result = runner(*args)
    assert result.exit_code == code, result.stderr
    assert message in result.stderr


def test_a_team_admin_decides_only_its_teams_tasks(runner: MpoRunner,
                                                   asia: dict[str, Any]) -> None:
    tasks = asia["tasks"]
    refused = runner("approve", tasks["amazon"], env=asia["lea"])
    assert refused.exit_code == 4, refused.stderr
    assert "lea acts for team asia (shopee)" in refused.stderr
    assert runner("approve", tasks["shopee"], env=asia["lea"]).exit_code == 0
    now = statuses(asia["url"])
    assert (now[tasks["amazon"]], now[tasks["shopee"]]) == ("awaiting_approval", "approved")
    listed = runner.json("list", env=asia["lea"])
    assert {t["marketplace"] for t in listed} == {"shopee"}
    assert runner("list", "-m", "amazon", env=asia["lea"]).exit_code == 4


def test_work_goes_only_to_people_of_the_tasks_team(runner: MpoRunner,
                                                    asia: dict[str, Any]) -> None:
    amazon = asia["tasks"]["amazon"]
    assert runner("approve", amazon, env=asia["ada"]).exit_code == 0
    refused = runner("assign", amazon, "--to", "ana")
    assert refused.exit_code == 4, refused.stderr
    assert "ana is in team asia (shopee)" in refused.stderr
    assert statuses(asia["url"])[amazon] == "approved"
    assert runner("assign", amazon, "--to", "bea").exit_code == 0  # the default team


def test_a_team_admin_manages_neither_principals_nor_teams(runner: MpoRunner,
                                                           asia: dict[str, Any]) -> None:
    for args in (("principal", "add", "x", "--role", "member"),
                 ("principal", "move", "lea", "--team", "default"),
                 ("team", "add", "mine", "--marketplaces", "amazon"),
                 ("team", "members", "default")):
        result = runner(*args, env=asia["lea"])
        assert result.exit_code == 4, (args, result.stderr)


def test_the_last_organisation_admin_stays_one(runner: MpoRunner,
                                               asia: dict[str, Any]) -> None:
    assert runner("principal", "move", "ada", "--team", "asia").exit_code == 0
    result = runner("principal", "move", "root", "--team", "asia")
    assert result.exit_code == 5, result.stderr
    assert "last organisation-wide admin" in result.stderr


def test_reports_filter_by_team_and_a_team_admin_sees_its_own(runner: MpoRunner,
                                                              asia: dict[str, Any]) -> None:
    everything = runner.json("stats")
    by_team = runner.json("stats", "--team", "asia")
    own = runner.json("stats", env=asia["lea"])
    assert everything["pipeline"]["window"]["created"] == 2
    assert by_team["pipeline"]["window"]["created"] == own["pipeline"]["window"]["created"] == 1
    assert by_team["marketplaces"] == own["marketplaces"] == ["shopee"]
    status = runner.json("status", "--team", "asia")
    assert status["queue"]["awaiting_approval"] == 1
    assert runner.json("status", env=asia["lea"])["queue"] == status["queue"]
    assert runner("stats", "--team", "default", env=asia["lea"]).exit_code == 4
    assert runner("status", "--team", "nope").exit_code == 2


def test_the_installed_mpo_adds_a_team_and_a_member(mpo_process: Run, tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'installed.db'}"
    token = mpo_process("init", "--insecure-storage", MPO_DATABASE_URL=url)
    assert token.returncode == 0, token.stderr
    added = mpo_process("team", "add", "asia", "--marketplaces", "shopee,tiktokshop",
                        MPO_DATABASE_URL=url)
    assert added.returncode == 0, added.stderr
    member = mpo_process("principal", "add", "ana", "--role", "member", "--team", "asia",
                         MPO_DATABASE_URL=url)
    assert member.returncode == 0, member.stderr
    listed = mpo_process("team", "members", "asia", "--fields", "name,team",
                         MPO_DATABASE_URL=url)
    assert listed.stdout.split() == ["ana", "asia"]

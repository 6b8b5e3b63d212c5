"""Teams on PostgreSQL (issue 25), tested as an `mpo_app` login with raw SQL: a team's
admin neither reads nor changes another team's tasks or events, creates none for another
team's marketplace, manages no principal or team; work goes to nobody outside the task's
team, whoever assigns it. And the app, connected as that login, agrees."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests import migrated
from tests.conftest import MpoRunner
from tests.pg_app import app_login, conninfo


@pytest.fixture
def world(runner: MpoRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[dict[str, Any]]:
    """Team asia (shopee) with its admin lea and member ana; bea in the default team; a
    task awaiting approval in amazon and one in shopee; an app login."""
    monkeypatch.setenv("MPO_DATABASE_URL", pg_url)
    migrated.prepare(pg_url)  # `mpo init` then finds the schema at head: fast
    assert runner("init").exit_code == 0
    assert runner("team", "add", "asia", "--marketplaces", "shopee").exit_code == 0
    tokens: dict[str, str] = {}
    for name, *extra in (("lea", "--role", "admin", "--team", "asia"),
                         ("ana", "--role", "member", "--team", "asia"),
                         ("bea", "--role", "member"),
                         ("marketplace-amazon", "--role", "agent", "--marketplace", "amazon"),
                         ("marketplace-shopee", "--role", "agent", "--marketplace", "shopee")):
        tokens[name] = runner.json("principal", "add", name, *extra)["token"]
    tasks = {}
    for market in ("amazon", "shopee"):
        made = runner.json("create", "--title", f"{market} task", "--category", "analysis",
                           "--estimated-hours", "2", "--submit",
                           env={"MPO_TOKEN": tokens[f"marketplace-{market}"]})
        tasks[market] = made["id"]
    with app_login(pg_url) as url:
        yield {"tokens": tokens, "tasks": tasks, "url": url}


def _as(world: dict[str, Any], who: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(conninfo(world["url"]))
    conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"][who],))
    return conn


def test_a_team_admin_reads_only_its_teams_tasks_and_events(world: dict[str, Any]) -> None:
    with _as(world, "lea") as conn:
        assert conn.execute("SELECT marketplace FROM task").fetchall() == [("shopee",)]
        seen = conn.execute("SELECT DISTINCT task_id::text FROM task_event").fetchall()
        assert seen == [(world["tasks"]["shopee"],)]
    with _as(world, "bea") as conn:  # the default team: every marketplace
        assert conn.execute("SELECT count(*) FROM task").fetchone() == (2,)


def test_a_team_admin_cannot_update_another_teams_task(world: dict[str, Any]) -> None:
    with _as(world, "lea") as conn:
        moved = conn.execute("UPDATE task SET status = 'approved', approved_by = 'lea' "
                             "WHERE id = %s", (world["tasks"]["amazon"],))
        assert moved.rowcount == 0
        own = conn.execute("UPDATE task SET status = 'approved', approved_by = 'lea', "
                           "approved_at = now() WHERE id = %s", (world["tasks"]["shopee"],))
        assert own.rowcount == 1  # the same statement on its own team's task (rolled back)
        conn.rollback()


def test_a_team_admin_cannot_create_for_another_teams_marketplace(world: dict[str, Any]
                                                                  ) -> None:
    with _as(world, "lea") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                 match="row-level security"):
        conn.execute("INSERT INTO task (id, title, description, marketplace, category, "
                     "priority, status, estimated_hours, created_by, source_type, created_at, "
                     "tags) VALUES (gen_random_uuid(), 't', '', 'amazon', 'analysis', "
                     "'medium', 'pending', 1, 'lea', 'manual', now(), '[]')")


def test_nobody_gives_work_to_someone_outside_the_tasks_team(world: dict[str, Any],
                                                            runner: MpoRunner) -> None:
    assert runner("approve", world["tasks"]["amazon"]).exit_code == 0
    root = runner.json("principal", "add", "org", "--role", "admin")["token"]
    world["tokens"]["org"] = root
    with _as(world, "org") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                  match="ana is in a team that does not"):
        conn.execute("UPDATE task SET status = 'in_progress', assigned_to = 'ana', "
                     "assigned_by = 'org', started_at = now() WHERE id = %s",
                     (world["tasks"]["amazon"],))


def test_a_team_admin_manages_no_principal_and_no_team(world: dict[str, Any]) -> None:
    with _as(world, "lea") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                 match="may change only its own token"):
        conn.execute("UPDATE principal SET team = NULL WHERE name = 'lea'")
    with _as(world, "lea") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("INSERT INTO team (name, marketplaces, created_at) "
                     "VALUES ('mine', NULL, now())")
    with _as(world, "lea") as conn:
        changed = conn.execute("UPDATE team SET marketplaces = NULL WHERE name = 'asia'")
        assert changed.rowcount == 0


def test_the_app_as_an_app_login_keeps_a_team_admin_to_its_team(
        world: dict[str, Any], runner: MpoRunner) -> None:
    env = {"MPO_DATABASE_URL": world["url"], "MPO_TOKEN": world["tokens"]["lea"]}
    listed = runner("list", "--fields", "marketplace", env=env)
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.split() == ["shopee"]
    refused = runner("approve", world["tasks"]["amazon"], env=env)
    assert refused.exit_code == 3, refused.stderr  # invisible to it: not found
    done = runner("approve", world["tasks"]["shopee"], env=env)
    assert done.exit_code == 0, done.stderr
    other = runner("assign", world["tasks"]["shopee"], "--to", "ana", env=env)
    assert other.exit_code == 0, other.stderr

"""Retry-safe verbs through the CLI (issue 21): `--idempotency-key` on every write verb,
`create --submit` and `create --dry-run`. On SQLite, and on PostgreSQL connected as a login
in `mpo_app`, where row-level security and the write guards apply; what landed is read back
as the owner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from mpo.core.domain.validation import Rules
from mpo.core.usecases import identity
from mpo.store.database import SqlDatabase
from mpo.store.migrate import upgrade
from tests import readback
from tests.conftest import MpoRunner
from tests.pg_app import app_login

#: name -> (role, marketplace)
PEOPLE = {"marketplace-amazon": ("agent", "amazon"), "ana": ("admin", None),
          "bea": ("member", None)}
TASK = ("-m", "amazon", "-t", "Rewrite GEO titles", "-c", "optimization", "-e", "4")


@dataclass
class World:
    """The database (the owner's URL, for reading back), and each principal's token."""

    url: str
    app_url: str
    tokens: dict[str, str]
    runner: MpoRunner

    def __call__(self, who: str, *args: str) -> Any:
        return self.runner(*args, env={"MPO_TOKEN": self.tokens[who]})

    def json(self, who: str, *args: str) -> Any:
        result = self(who, *args, "--json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    def task(self, status: str = "pending") -> str:
        """A new task of the amazon agent, brought to `status` by root."""
        task_id = str(self.json("marketplace-amazon", "create", *TASK)["id"])
        path = {"pending": [], "awaiting_approval": [["submit"]],
                "approved": [["submit"], ["approve"]]}[status]
        for verb in path:
            done = self("root", *verb, task_id)
            assert done.exit_code == 0, done.stderr
        return task_id

    def events(self, task_id: str | None = None) -> list[dict[str, Any]]:
        return [e for e in readback.events(self.url) if task_id in (None, e["task_id"])]


@pytest.fixture
def world(database_url: str, runner: MpoRunner, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[World]:
    upgrade(database_url)
    db = SqlDatabase(database_url)
    root = identity.bootstrap_admin(db, "root")
    assert root is not None
    admin = identity.authenticate(db, root)
    tokens = {"root": root} | {
        name: identity.add_principal(db, admin, name, role, market, Rules()).token
        for name, (role, market) in PEOPLE.items()}
    db.engine.dispose()
    if database_url.startswith("sqlite"):
        monkeypatch.setenv("MPO_DATABASE_URL", database_url)
        yield World(database_url, database_url, tokens, runner)
        return
    with app_login(database_url) as app_url:
        monkeypatch.setenv("MPO_DATABASE_URL", app_url)
        yield World(database_url, app_url, tokens, runner)


def test_a_retried_submit_returns_the_first_result_and_writes_one_event(world: World) -> None:
    task = world.task()
    first = world("marketplace-amazon", "submit", task, "--idempotency-key", "run-1", "--json")
    again = world("marketplace-amazon", "submit", task, "--idempotency-key", "run-1", "--json")
    assert (first.exit_code, again.exit_code) == (0, 0), again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert "changed nothing" in again.stderr
    assert [e["action"] for e in world.events(task)] == ["create", "submit"]


def test_a_retried_approve_returns_the_first_result_though_the_task_moved_on(
        world: World) -> None:
    task = world.task("awaiting_approval")
    first = world.json("root", "approve", task, "--note", "go", "--idempotency-key", "a-1")
    assert world("root", "assign", task, "--to", "bea").exit_code == 0
    again = world.json("root", "approve", task, "--note", "go", "--idempotency-key", "a-1")
    assert again == first and again[0]["to_status"] == "approved"
    assert [e["action"] for e in world.events(task)] == ["create", "submit", "approve", "assign"]


def test_a_retried_batch_by_filter_returns_the_first_result(world: World) -> None:
    tasks = {world.task("awaiting_approval") for _ in range(3)}
    first = world.json("root", "approve", "--all", "--idempotency-key", "all-1")
    again = world.json("root", "approve", "--all", "--idempotency-key", "all-1")
    assert again == first and {r["id"] for r in first} == tasks
    approvals = [e for e in world.events() if e["action"] == "approve"]
    assert len(approvals) == 3 and len({e["batch_id"] for e in approvals}) == 1


def test_the_same_key_with_another_request_exits_5_and_changes_nothing(world: World) -> None:
    one, two = world.task("awaiting_approval"), world.task("awaiting_approval")
    assert world("root", "approve", one, "--idempotency-key", "k").exit_code == 0
    for args in (["approve", two], ["reject", one, "--reason-code", "duplicate"],
                 ["approve", one, "--note", "other"]):
        result = world("root", *args, "--idempotency-key", "k")
        assert result.exit_code == 5, result.stderr
        assert "idempotency key 'k' was used for a different request (approve" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert readback.statuses(world.url)[two] == "awaiting_approval"
    assert [e["action"] for e in world.events(two)] == ["create", "submit"]


def test_another_principal_reusing_a_key_is_independent(world: World) -> None:
    mine, theirs = world.task("awaiting_approval"), world.task()
    assert world("root", "approve", mine, "--idempotency-key", "shared").exit_code == 0
    result = world("marketplace-amazon", "submit", theirs, "--idempotency-key", "shared")
    assert result.exit_code == 0, result.stderr
    assert "changed nothing" not in result.stderr
    assert readback.statuses(world.url)[theirs] == "awaiting_approval"
    kept = readback.fetch(world.url, "SELECT principal, key FROM idempotency_key")
    assert sorted((r["principal"], r["key"]) for r in kept) == [
        ("marketplace-amazon", "shared"), ("root", "shared")]


def test_each_principal_sees_only_its_own_keys(world: World) -> None:
    if world.url.startswith("sqlite"):
        pytest.skip("row-level security is PostgreSQL's")
    task = world.task()
    assert world("marketplace-amazon", "submit", task, "--idempotency-key", "mine").exit_code == 0
    for who, expected in (("marketplace-amazon", ["mine"]), ("root", [])):
        with SqlDatabase(world.app_url, token=world.tokens[who]).read() as uow:
            keys = uow.session.execute(text("SELECT key FROM idempotency_key")).scalars()
            assert list(keys) == expected


def test_undo_and_route_take_a_key_too(world: World) -> None:
    task = world.task("awaiting_approval")
    batch = world.json("root", "approve", task)[0]["batch_id"]
    first = world.json("root", "undo", batch, "--idempotency-key", "u-1")
    again = world.json("root", "undo", batch, "--idempotency-key", "u-1")
    assert again == first
    assert [e["action"] for e in world.events(task)] == ["create", "submit", "approve", "undo"]
    routed = world("root", "route", "--idempotency-key", "r-1", "--json")
    assert routed.exit_code == 0, routed.stderr
    reused = world("root", "route", "--idempotency-key", "u-1")
    assert reused.exit_code == 5 and "different request (undo" in reused.stderr


def test_a_dry_run_stores_no_key(world: World) -> None:
    task = world.task("awaiting_approval")
    dry = world("root", "approve", task, "--dry-run", "--idempotency-key", "d-1")
    assert dry.exit_code == 0, dry.stderr
    assert readback.fetch(world.url, "SELECT key FROM idempotency_key") == []
    assert world("root", "approve", task, "--idempotency-key", "d-1").exit_code == 0
    assert readback.statuses(world.url)[task] == "approved"


@pytest.mark.parametrize("key", ["", "   ", "k" * 201])
def test_an_unusable_key_is_refused_naming_the_field(world: World, key: str) -> None:
    task = world.task()
    result = world("root", "submit", task, "--idempotency-key", key)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("error: idempotency_key: must be")
    assert readback.statuses(world.url)[task] == "pending"


def test_create_submit_proposes_and_submits_in_one_batch(world: World) -> None:
    made = world.json("marketplace-amazon", "create", *TASK, "--submit",
                      "--idempotency-key", "c-1")
    assert made["status"] == "awaiting_approval" and made["submitted_at"] and made["created"]
    events = world.events(made["id"])
    assert [(e["action"], e["to_status"]) for e in events] == [
        ("create", "pending"), ("submit", "awaiting_approval")]
    assert events[0]["batch_id"] is not None and events[0]["batch_id"] == events[1]["batch_id"]
    again = world.json("marketplace-amazon", "create", *TASK, "--submit",
                       "--idempotency-key", "c-1")
    assert (again["id"], again["status"], again["created"]) == (
        made["id"], "awaiting_approval", False)
    assert len(world.events()) == 2
    assert readback.statuses(world.url) == {made["id"]: "awaiting_approval"}


def test_a_key_first_used_without_submit_is_a_conflict_for_create_submit(
        world: World) -> None:
    made = world.json("marketplace-amazon", "create", *TASK, "--idempotency-key", "c-2")
    result = world("marketplace-amazon", "create", *TASK, "--submit",
                   "--idempotency-key", "c-2")
    assert result.exit_code == 5, result.stderr
    assert f"was used for task {made['id']} without --submit" in result.stderr
    assert readback.statuses(world.url) == {made["id"]: "pending"}


def test_create_dry_run_prints_what_would_be_stored_and_writes_nothing(world: World) -> None:
    shown = world.json("marketplace-amazon", "create", *TASK, "--tag", "geo", "--dry-run")
    assert shown["id"] is None and shown["status"] == "pending"
    assert (shown["title"], shown["tags"], shown["created_by"]) == (
        "Rewrite GEO titles", ["geo"], "marketplace-amazon")
    submitted = world.json("marketplace-amazon", "create", *TASK, "--submit", "--dry-run")
    assert submitted["status"] == "awaiting_approval" and submitted["id"] is None
    bad = world("marketplace-amazon", "create", *TASK[:-1], "0", "--dry-run")
    assert bad.exit_code == 2 and "estimated_hours" in bad.stderr
    refused = world("bea", "create", *TASK, "--dry-run")
    assert refused.exit_code == 4, refused.stderr
    assert readback.tasks(world.url) == {} and world.events() == []


def test_move_takes_a_key_too(world: World) -> None:
    review = ('[[states]]\nname = "in_review"\nafter = "in_progress"\n'
              'enter = ["member", "admin"]\nleave = ["admin"]\ndistinct = true\n')
    task = world.task("approved")
    assert world("root", "assign", task, "--to", "bea").exit_code == 0
    applied = world.runner("workflow", "apply", "-", input=review,
                           env={"MPO_TOKEN": world.tokens["root"]})
    assert applied.exit_code == 0, applied.stderr
    first = world.json("bea", "move", task, "--to", "in_review", "--idempotency-key", "m-1")
    again = world.json("bea", "move", task, "--to", "in_review", "--idempotency-key", "m-1")
    assert again == first and first[0]["to_status"] == "in_review"
    assert [e["action"] for e in world.events(task)].count("move") == 1

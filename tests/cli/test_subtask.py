"""`mpo subtask` and `mpo checkpoint` from the command line, and as a non-superuser
PostgreSQL login, where row-level security enforces the same permissions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests import migrated
from tests.cli.steps import agent_token, task_in
from tests.conftest import MpoRunner
from tests.store.test_rls import _conninfo


def _approved_task(runner: MpoRunner) -> str:
    """A task the amazon agent proposed and the admin approved."""
    return task_in(runner, "approved", "Bundles")


def test_a_checkpointed_subtask_from_the_command_line(runner: MpoRunner,
                                                      initialised: str) -> None:
    task = _approved_task(runner)
    sub = runner.json("subtask", "add", task[:8], "--type", "analysis", "--title", "Audit")
    assert (sub["position"], sub["status"]) == (1, "pending")
    runner.json("subtask", "start", sub["id"][:8])
    done = runner.json("checkpoint", "submit", sub["id"][:8], "--data", '{"skus": 5}')
    assert (done["status"], done["result"]) == ("awaiting_checkpoint", {"skus": 5})
    assert runner.json("checkpoint", "approve", sub["id"][:8])["status"] == "completed"
    listed = runner("subtask", "list", task[:8])
    assert listed.stdout.split("\t")[1:4] == ["1", "analysis", "completed"]
    bad = runner("subtask", "add", task[:8], "--type", "review", "--title", "x")
    assert bad.exit_code == 2 and "type" in bad.stderr and "delegation" in bad.stderr
    log = runner.json("log", "--task", task[:8])
    assert [e["action"] for e in log][-4:] == [
        "subtask_add", "subtask_start", "checkpoint_submit", "checkpoint_approve"]


@pytest.fixture
def rls(runner: MpoRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch
        ) -> Iterator[dict[str, Any]]:
    """PostgreSQL with agents and a member, the app connecting as a login in mpo_app."""
    monkeypatch.setenv("MPO_DATABASE_URL", pg_url)
    migrated.prepare(pg_url)  # `mpo init` then finds the schema at head: fast
    assert runner("init").exit_code == 0
    tokens = {"marketplace-amazon": agent_token(runner, "amazon"),
              "marketplace-shopee": agent_token(runner, "shopee"),
              "bea": runner.json("principal", "add", "bea", "--role", "member")["token"]}
    role = f"mpo_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_conninfo(pg_url), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE mpo_app')
    url = pg_url.replace("postgres@", f"{role}@", 1)
    monkeypatch.setenv("MPO_DATABASE_URL", url)
    yield {"tokens": tokens, "url": url}
    with psycopg.connect(_conninfo(pg_url), autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_row_level_security_enforces_the_subtask_permissions(runner: MpoRunner,
                                                            rls: dict[str, Any]) -> None:
    as_ = {name: {"MPO_TOKEN": token} for name, token in rls["tokens"].items()}
    task = _approved_task(runner)
    refused = runner("subtask", "add", task, "--type", "analysis", "--title", "x",
                     env=as_["marketplace-amazon"])
    assert refused.exit_code == 4, refused.stderr
    sub = runner.json("subtask", "add", task, "--type", "analysis", "--title", "Audit")["id"]
    hidden = runner("subtask", "start", sub, env=as_["marketplace-shopee"])
    assert hidden.exit_code == 3, hidden.stderr
    runner.json("subtask", "start", sub, env=as_["marketplace-amazon"])
    runner.json("checkpoint", "submit", sub, "--data", "{}", env=as_["marketplace-amazon"])
    with psycopg.connect(_conninfo(rls["url"])) as conn:
        # raw SQL with the app's credentials: an agent cannot approve its own checkpoint,
        # nor add a step, whatever the command line says
        conn.execute("SELECT * FROM mpo_authenticate(%s)",
                     (rls["tokens"]["marketplace-amazon"],))
        moved = conn.execute("UPDATE subtask SET status = 'completed' WHERE id = %s", (sub,))
        assert moved.rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO subtask (id, task_id, position, type, title, status,"
                         " created_at, created_by, updated_at) VALUES (gen_random_uuid(), %s,"
                         " 9, 'analysis', 'x', 'pending', now(), 'marketplace-amazon', now())",
                         (task,))
    approved = runner.json("checkpoint", "approve", sub, "--note", "ok", env=as_["bea"])
    assert approved["status"] == "completed"
    hidden = runner("subtask", "list", task, env=as_["marketplace-shopee"])
    assert hidden.exit_code == 3, hidden.stderr

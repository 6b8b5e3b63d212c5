"""The README's five-minute tour through the installed `mpo` console script in a subprocess,
on SQLite (in its default location) and on PostgreSQL, with authentication on: the admin
from `mpo init` (keyring), an agent's token from `principal add` used via MPO_TOKEN.

One pass per database checks both ways scripts read mpo: piped output (TSV) parsed as a
script would, and `--json`; then the database is read back. (This file once was two tours of
some 15 processes each; issue 11 merged them into one of 17.) tests/test_doc_blocks.py runs
the README's own text.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mpo.store.migrations import HEAD
from tests import readback
from tests.installed import MPO


def run(*args: str, env: dict[str, str], token: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    """Run the installed mpo; it must succeed."""
    run_env = env | ({"MPO_TOKEN": token} if token else {})
    done = subprocess.run([MPO, *args], capture_output=True, text=True, env=run_env,
                          timeout=300, check=False)
    assert done.returncode == 0, f"mpo {' '.join(args)}: {done.stderr}"
    return done


def mpo(*args: str, env: dict[str, str], token: str | None = None) -> str:
    """What the installed mpo prints on stdout."""
    return run(*args, env=env, token=token).stdout


def as_json(*args: str, env: dict[str, str], token: str | None = None) -> Any:
    return json.loads(mpo(*args, "--json", env=env, token=token))


def record(text: str) -> dict[str, str]:
    """A piped record: one `field<TAB>value` line per field."""
    return dict(line.split("\t", 1) for line in text.splitlines())


def unique_prefix(task_id: str, others: list[str], least: int = 4) -> str:
    """The shortest prefix (at least `least` characters) no other id shares."""
    for length in range(least, len(task_id) + 1):
        if not any(o.startswith(task_id[:length]) for o in others if o != task_id):
            return task_id[:length]
    return task_id


@pytest.fixture(params=["sqlite", "postgres"])
def tour_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """SQLite where `mpo init` puts it by default, or a fresh PostgreSQL database."""
    env = dict(os.environ)
    if request.param == "postgres":
        env["MPO_DATABASE_URL"] = str(request.getfixturevalue("pg_url"))
    return env


@pytest.mark.e2e
def test_the_readme_tour_runs_as_written(tour_env: dict[str, str], isolation: Path) -> None:
    env = tour_env
    init = record(mpo("init", env=env))
    assert init["revision"] == HEAD
    assert init["config"] == str(isolation / ".config" / "mpo" / "config.toml")
    url = init["database"]
    if "MPO_DATABASE_URL" not in env:
        assert url == f"sqlite:///{isolation / '.local' / 'share' / 'mpo' / 'mpo.db'}"
    mpo("principal", "add", "ana", "--role", "member", env=env)
    agent = as_json("principal", "add", "marketplace-amazon", "--role", "agent",
                    "--marketplace", "amazon", env=env)["token"]

    def create(title: str, key: str) -> Any:
        return as_json("create", "--marketplace", "amazon", "--title", title, "--description",
                       "...", "--category", "optimization", "--priority", "high",
                       "--estimated-hours", "4", "--tag", "geo", "--idempotency-key", key,
                       env=env, token=agent)

    titles = ("Rewrite GEO titles for top 50 SKUs", "A+ content for the top 10",
              "Rewrite GEO titles (again)")
    created = [create(title, f"k-{n}") for n, title in enumerate(titles)]
    assert {(c["created"], c["status"], tuple(c["tags"]), c["created_by"]) for c in created} \
        == {(True, "pending", ("geo",), "marketplace-amazon")}
    retried = create(titles[2], "k-2")  # an agent's retry: the same task, not a new one
    assert (retried["id"], retried["created"]) == (created[2]["id"], False)
    made = [str(c["id"]) for c in created]
    first, second, third = made

    submitted = run("submit", "--all", env=env).stderr
    assert submitted.startswith("submitted 3 tasks (batch ")
    batch = submitted.split("(batch ")[1].rstrip(")\n")
    listed = mpo("list", "--status", "awaiting_approval", "--marketplace", "amazon",
                 env=env).splitlines()
    assert sorted(line.split("\t")[0] for line in listed) == sorted(made)

    mpo("approve", first[:8], unique_prefix(second, made), "--note", "go", env=env)
    mpo("reject", unique_prefix(third, made), "--reason-code", "duplicate", "--reason",
        f"same as {first[:4]}", env=env)
    mpo("assign", unique_prefix(first, made), "--to", "ana", env=env)
    mpo("complete", unique_prefix(first, made), "--actual-hours", "3.5", env=env)

    shown = record(mpo("show", unique_prefix(first, made), env=env))
    assert (shown["status"], shown["assigned_to"], shown["accuracy"]) == (
        "completed", "ana", "0.875")
    assert shown["started_at"] and shown["completed_at"]
    log = as_json("log", "--task", unique_prefix(first, made), env=env)
    assert [(e["action"], e["from_status"], e["to_status"]) for e in log] == [
        ("create", None, "pending"), ("submit", "pending", "awaiting_approval"),
        ("approve", "awaiting_approval", "approved"), ("assign", "approved", "in_progress"),
        ("complete", "in_progress", "completed")]
    admin = as_json("auth", "status", env=env)[0]["principal"]
    assert [e["actor"] for e in log] == ["marketplace-amazon", admin, admin, admin, admin]

    assert readback.statuses(url) == {first: "completed", second: "approved",
                                      third: "rejected"}
    tasks = readback.tasks(url)
    assert tasks[first]["approved_by"] == admin
    assert (tasks[third]["rejection_code"], tasks[third]["rejection_reason"]) == (
        "duplicate", f"same as {first[:4]}")
    assert {e["batch_id"] for e in readback.events(url) if e["action"] == "submit"} == {batch}

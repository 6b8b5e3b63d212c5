"""The README's five-minute tour, command by command, through the installed `mpo` console
script in a subprocess, on SQLite (in its default location) and on PostgreSQL: piped (TSV)
output parsed as a script would, and the database read back at the end.

tests/e2e/test_authenticated_tour.py runs the same tour in JSON with the focus on tokens."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mpo.store.migrations import HEAD
from tests import readback

MPO = shutil.which("mpo", path=str(Path(sys.executable).parent))


def mpo(*args: str, env: dict[str, str], token: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    assert MPO is not None, "the mpo console script is not installed in this environment"
    run_env = env | ({"MPO_TOKEN": token} if token else {})
    result = subprocess.run([MPO, *args], capture_output=True, text=True, env=run_env,
                            timeout=120, check=False)
    assert result.returncode == 0, f"mpo {' '.join(args)}: {result.stderr}"
    return result


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
    init = dict(line.split("\t", 1) for line in mpo("init", env=tour_env).stdout.splitlines())
    assert init["revision"] == HEAD
    assert init["config"] == str(isolation / ".config" / "mpo" / "config.toml")
    url = init["database"]
    if "MPO_DATABASE_URL" not in tour_env:
        assert url == f"sqlite:///{isolation / '.local' / 'share' / 'mpo' / 'mpo.db'}"

    agent = json.loads(mpo("principal", "add", "marketplace-amazon", "--role", "agent",
                           "--marketplace", "amazon", "--json", env=tour_env).stdout)["token"]
    made = []
    for title in ("Rewrite GEO titles for top 50 SKUs", "A+ content for the top 10",
                  "Rewrite GEO titles (again)"):
        created = json.loads(mpo(
            "create", "--marketplace", "amazon", "--title", title, "--description", "...",
            "--category", "optimization", "--priority", "high", "--estimated-hours", "4",
            "--tag", "geo", "--json", env=tour_env, token=agent).stdout)
        assert (created["created"], created["status"], created["tags"], created["created_by"]) \
            == (True, "pending", ["geo"], "marketplace-amazon")
        made.append(created["id"])
    first, second, third = made

    submitted = mpo("submit", "--all", env=tour_env)
    assert submitted.stderr.startswith("submitted 3 tasks (batch ")
    batch = submitted.stderr.split("(batch ")[1].rstrip(")\n")

    listed = mpo("list", "--status", "awaiting_approval", "--marketplace", "amazon",
                 env=tour_env).stdout.splitlines()
    assert sorted(line.split("\t")[0] for line in listed) == sorted(made)

    mpo("approve", first[:8], unique_prefix(second, made), "--note", "go", env=tour_env)
    mpo("reject", unique_prefix(third, made), "--reason-code", "duplicate", "--reason",
        f"same as {first[:4]}", env=tour_env)
    mpo("assign", unique_prefix(first, made), "--to", "ana", env=tour_env)
    mpo("complete", unique_prefix(first, made), "--actual-hours", "3.5", env=tour_env)

    shown = dict(line.split("\t", 1) for line in mpo(
        "show", unique_prefix(first, made), env=tour_env).stdout.splitlines())
    assert (shown["status"], shown["assigned_to"], shown["accuracy"]) == (
        "completed", "ana", "0.875")
    assert shown["started_at"] and shown["completed_at"]

    log = [line.split("\t") for line in mpo(
        "log", "--task", unique_prefix(first, made), "--fields", "action,from_status,to_status",
        env=tour_env).stdout.splitlines()]
    assert log == [["create", "", "pending"], ["submit", "pending", "awaiting_approval"],
                   ["approve", "awaiting_approval", "approved"],
                   ["assign", "approved", "in_progress"],
                   ["complete", "in_progress", "completed"]]

    assert readback.statuses(url) == {first: "completed", second: "approved",
                                      third: "rejected"}
    rejected = readback.tasks(url)[third]
    assert (rejected["rejection_code"], rejected["rejection_reason"]) == (
        "duplicate", f"same as {first[:4]}")
    assert {e["batch_id"] for e in readback.events(url) if e["action"] == "submit"} == {batch}

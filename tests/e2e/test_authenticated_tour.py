"""The README tour with authentication on, through the installed `mpo` console script:
the admin from `mpo init` (keyring), an agent token from `principal add` used via MPO_TOKEN
from a separate process, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def mpo(*args: str, env: dict[str, str], token: str | None = None) -> Any:
    executable = shutil.which("mpo")
    assert executable, "the README's install command puts `mpo` on PATH"
    run_env = {**env, **({"MPO_TOKEN": token} if token else {})}
    done = subprocess.run([executable, *args], env=run_env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--json" in args else done.stdout


def test_agents_and_admins_run_the_tour(database_url: str) -> None:
    env = {**os.environ, "MPO_DATABASE_URL": database_url}
    mpo("init", env=env)
    agent = mpo("principal", "add", "marketplace-amazon", "--role", "agent", "--marketplace",
                "amazon", "--json", env=env)["token"]

    created = [
        mpo("create", "--marketplace", "amazon", "--title", title, "--description", "...",
            "--category", "optimization", "--priority", "high", "--estimated-hours", "4",
            "--tag", "geo", "--idempotency-key", f"k-{n}", "--json", env=env, token=agent)
        for n, title in enumerate(["Rewrite GEO titles for top 50 SKUs", "A+ content", "Dup"])
    ]
    assert {t["created_by"] for t in created} == {"marketplace-amazon"}
    retried = mpo("create", "--marketplace", "amazon", "--title", "Dup", "--description",
                  "...", "--category", "optimization", "--priority", "high",
                  "--estimated-hours", "4", "--tag", "geo", "--idempotency-key", "k-2",
                  "--json", env=env, token=agent)
    assert (retried["id"], retried["created"]) == (created[2]["id"], False)

    a, b, c = (str(t["id"]) for t in created)
    mpo("submit", "--all", env=env)
    waiting = mpo("list", "--status", "awaiting_approval", "--marketplace", "amazon", "--json",
                  env=env)
    assert len(waiting) == 3
    mpo("approve", a[:8], b[:6], "--note", "go", env=env)
    mpo("reject", c[:6], "--reason-code", "duplicate", "--reason", "same as a", env=env)
    mpo("assign", a[:6], "--to", "ana", env=env)
    mpo("complete", a[:6], "--actual-hours", "3.5", env=env)
    shown = mpo("show", a[:6], "--json", env=env)
    assert (shown["status"], shown["approved_by"], shown["accuracy"]) == (
        "completed", mpo("auth", "status", "--json", env=env)[0]["principal"], 0.875)
    log = mpo("log", "--task", a[:6], "--json", env=env)
    assert log[0]["actor"] == "marketplace-amazon"
    assert [e["action"] for e in log] == ["create", "submit", "approve", "assign", "complete"]

"""Steps CLI tests share: making tasks through the real app and bringing them to a status."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import click
import pytest
import typer

from mpo.cli.app import app
from tests.conftest import MpoRunner

#: Run a test on SQLite only (for behaviour of the command line, not of the database).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: The verbs (and their required flags) that lead from pending to each status.
PATH: dict[str, list[list[str]]] = {
    "pending": [],
    "awaiting_approval": [["submit"]],
    "approved": [["submit"], ["approve"]],
    "rejected": [["submit"], ["reject", "--reason-code", "duplicate"]],
    "in_progress": [["submit"], ["approve"], ["assign", "--to", "bea"]],
    "completed": [["submit"], ["approve"], ["assign", "--to", "bea"],
                  ["complete", "--actual-hours", "3"]],
}


#: Agents' tokens per (database, name): rotating a token on every call would revoke the one a
#: test still holds.
_TOKENS: dict[tuple[str, str], str] = {}


def agent_token(runner: MpoRunner, marketplace: str = "amazon", name: str | None = None
                ) -> str:
    """A token of the marketplace's agent (added, or its token rotated, by the admin once
    per database; later calls return the same token)."""
    name = name or f"marketplace-{marketplace}"
    # The database, whichever login reaches it.
    key = (re.sub(r"//[^@/]*@", "//", os.environ.get("MPO_DATABASE_URL", "")), name)
    if key in _TOKENS:
        return _TOKENS[key]
    added = runner("principal", "add", name, "--role", "agent", "--marketplace", marketplace,
                   "--json")
    if added.exit_code == 5:
        added = runner("principal", "rotate", name, "--json")
    assert added.exit_code == 0, added.stderr
    _TOKENS[key] = str(json.loads(added.stdout)["token"])
    return _TOKENS[key]


def create(runner: MpoRunner, title: str = "Rewrite GEO titles", *extra: str,
           marketplace: str = "amazon") -> dict[str, Any]:
    """A new pending task, proposed by the marketplace's agent itself (so the user may
    approve it: nobody approves a task they created or recorded)."""
    task: dict[str, Any] = runner.json(
        "create", "--marketplace", marketplace, "--title", title, "--category", "optimization",
        "--estimated-hours", "4", *extra,
        env={"MPO_TOKEN": agent_token(runner, marketplace)})
    return task


def task_in(runner: MpoRunner, status: str, title: str = "t", *extra: str,
            marketplace: str = "amazon") -> str:
    """The id of a new task brought to `status` through the lifecycle verbs."""
    task_id = str(create(runner, title, *extra, marketplace=marketplace)["id"])
    for verb in PATH[status]:
        result = runner(*verb, task_id)
        assert result.exit_code == 0, result.stderr
    return task_id


def commands() -> list[tuple[str, click.Command]]:
    """Every runnable command `--help` lists, by its path (`mpo db upgrade`); hidden aliases
    (`mpo config show`) answer guesses and are documented with what they alias."""
    found: list[tuple[str, click.Command]] = []

    def walk(path: str, command: click.Command) -> None:
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, f"{path} {name}"
                if not sub.hidden:
                    walk(f"{path} {name}", sub)
        else:
            found.append((path, command))

    walk("mpo", typer.main.get_command(app))
    return found

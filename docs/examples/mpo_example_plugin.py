"""An example mpo plugin: log approvals, refuse vague titles, add `mpo hello`.

Install it as a distribution that declares the entry point (pyproject.toml):

    [project.entry-points."mpo.plugins"]
    example = "mpo_example_plugin"

then `pip install -e .` next to it; mpo finds it on its next run.
"""

from __future__ import annotations

import json
import os
from typing import Any

import typer

from mpo.delivery.hookspecs import hookimpl


@hookimpl
def mpo_event(event: dict[str, Any]) -> None:
    """After commit: append approvals to the file named by MPO_EXAMPLE_LOG."""
    log = os.environ.get("MPO_EXAMPLE_LOG")
    if log and event["type"] == "task.approve":
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps(event) + "\n")


@hookimpl
def mpo_validate_create(task: dict[str, Any]) -> str | None:
    """Before create: refuse titles that say nothing."""
    if str(task.get("title", "")).strip().lower() in {"todo", "fix", "tbd"}:
        return f"title {task['title']!r} is too vague; say what changes"
    return None


@hookimpl
def mpo_commands(app: typer.Typer) -> None:
    """Add `mpo hello`."""

    @app.command()
    def hello(name: str = "world") -> None:
        """Say hello (an example plugin command).

        Example: mpo hello --name ana
        """
        typer.echo(f"hello, {name}")

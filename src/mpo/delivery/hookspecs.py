"""The plugin hook specification: everything a plugin can implement (pluggy).

A plugin is a module or object registered under the entry-point group `mpo.plugins`,
implementing any of these with `@mpo.delivery.hookspecs.hookimpl`. See docs/events.md.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mpo")
hookimpl = pluggy.HookimplMarker("mpo")


@hookspec
def mpo_event(event: dict[str, Any]) -> None:
    """Called once per event after its transaction committed (the webhook document)."""


@hookspec
def mpo_validate_create(task: dict[str, Any]) -> str | None:
    """Called before a task is created: return a message to refuse it, None to accept."""


@hookspec
def mpo_commands(app: Any) -> None:
    """Add commands to `app`, a `typer.Typer`: they become `mpo NAME ...`."""

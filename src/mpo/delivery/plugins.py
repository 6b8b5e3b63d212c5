"""Loading plugins from the `mpo.plugins` entry points, and calling them safely.

Loading scans installed distributions, so it happens only when a hook is called (after a
commit, before a create, or for a command mpo does not know), never for `mpo --help`.
A plugin that fails to load or raises is reported on stderr and skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import click
    import pluggy

GROUP = "mpo.plugins"


def report(what: str, exc: BaseException) -> None:
    """A consumer's failure, on stderr: reported, never fatal."""
    first = next(iter(str(exc).strip().splitlines()), "")
    sys.stderr.write(f"warning: {what} failed: {type(exc).__name__}: {first}\n")


@cache
def manager() -> pluggy.PluginManager:
    """The plugin manager with every installed plugin that loads."""
    from importlib.metadata import entry_points

    import pluggy

    from mpo.delivery import hookspecs

    pm = pluggy.PluginManager("mpo")
    pm.add_hookspecs(hookspecs)
    for entry in entry_points(group=GROUP):
        try:
            pm.register(entry.load(), name=entry.name)
        except Exception as exc:
            report(f"plugin {entry.name} (loading)", exc)
    return pm


def _impls(hook: str) -> list[tuple[str, Callable[..., Any]]]:
    pm = manager()
    return [(impl.plugin_name, impl.function) for impl in getattr(pm.hook, hook).get_hookimpls()]


def call_each(hook: str, **kwargs: Any) -> list[Any]:
    """Call every implementation of `hook`; one that raises is reported and skipped."""
    results = []
    for name, function in _impls(hook):
        try:
            results.append(function(**kwargs))
        except Exception as exc:
            report(f"plugin {name} ({hook})", exc)
    return results


def validate_create(task: dict[str, Any]) -> str | None:
    """The first refusal a plugin gives for a task about to be created, or None."""
    return next((r for r in call_each("mpo_validate_create", task=task) if r), None)


def command(ctx: click.Context, name: str) -> click.Command | None:
    """A plugin's command called `name`, if a plugin adds one."""
    import click
    import typer

    app = typer.Typer()
    call_each("mpo_commands", app=app)
    if not app.registered_commands and not app.registered_groups:
        return None
    found = typer.main.get_command(app)
    if isinstance(found, click.Group):
        return found.get_command(ctx, name)
    return found if found.name == name else None

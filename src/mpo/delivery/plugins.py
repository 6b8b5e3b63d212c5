"""Loading plugins from the `mpo.plugins` entry points, and calling them safely.

Finding them scans every installed distribution (10-40 ms), so the entry points found are
kept in the user cache dir, keyed by the modification times of the import path's
directories: installing or removing a package changes its site-packages directory, and
the next command scans again. Plugins load only when a hook is called (after a commit,
before a create, or for a command mpo does not know), never for `mpo --help`. A plugin
that fails to load or raises is reported on stderr and skipped.
"""

from __future__ import annotations

import json
import os
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


def _fingerprint() -> list[list[Any]]:
    """The import path's directories and when each last changed."""
    found: list[list[Any]] = []
    for entry in sys.path:
        try:
            found.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            continue
    return found


@cache
def entries() -> list[tuple[str, str]]:
    """(name, object reference) of every `mpo.plugins` entry point installed."""
    from mpo.config.paths import cache_dir

    index = cache_dir() / "plugins.json"
    fingerprint = _fingerprint()
    try:
        stored = json.loads(index.read_text(encoding="utf-8"))
        if stored["fingerprint"] == fingerprint:
            return [(str(name), str(value)) for name, value in stored["entries"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from importlib.metadata import entry_points

    found = sorted((e.name, e.value) for e in entry_points(group=GROUP))
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        partial = index.with_name(f"plugins.{os.getpid()}.json")
        partial.write_text(json.dumps({"fingerprint": fingerprint, "entries": found}),
                           encoding="utf-8")
        partial.replace(index)
    except OSError:
        pass  # a read-only home: scan again next time
    return found


@cache
def manager() -> pluggy.PluginManager:
    """The plugin manager with every installed plugin that loads."""
    from importlib.metadata import EntryPoint

    import pluggy

    from mpo.delivery import hookspecs

    pm = pluggy.PluginManager("mpo")
    pm.add_hookspecs(hookspecs)
    for name, value in entries():
        try:
            pm.register(EntryPoint(name, value, GROUP).load(), name=name)
        except Exception as exc:
            report(f"plugin {name} (loading)", exc)
    return pm


def _impls(hook: str) -> list[tuple[str, Callable[..., Any]]]:
    if not entries():
        return []
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

"""Dynamic values for shell completion. A completion never writes, never prompts and never
prints an error into the shell: any failure completes nothing.

Completion parses the command line without running the root callback, so the values that
depend on settings read `--db` and `--profile` from the root context's parsed parameters.
Nothing here imports SQLAlchemy: see `mpo.store.quick`.
"""

from __future__ import annotations

from collections.abc import Callable

import click

from mpo.cli.context import AppContext
from mpo.core.domain.vocabulary import Category, Priority, Status, values
from mpo.report.fields import FieldSet


def _matching(candidates: list[str], incomplete: str) -> list[str]:
    return [c for c in candidates if c.startswith(incomplete)]


def _app(ctx: click.Context) -> AppContext:
    """The settings the command line being completed would run with."""
    root = ctx.find_root().params
    token_file = root.get("token_file")
    # The credential too (issue 10), but never from stdin: the shell owns it while completing.
    return AppContext(database_flag=root.get("database"), profile_flag=root.get("profile"),
                      role_flag=root.get("as_role"),
                      token_file=None if token_file == "-" else token_file)


def marketplaces(ctx: click.Context, incomplete: str) -> list[str]:
    """The configured marketplaces."""
    try:
        names = list(_app(ctx).settings.marketplaces)
    except Exception:
        from mpo.core.domain.vocabulary import DEFAULT_MARKETPLACES

        names = list(DEFAULT_MARKETPLACES)
    return _matching(names, incomplete)


def codes(attribute: str) -> Callable[[click.Context, str], list[str]]:
    """Completes one of the configured reason codes: `attribute` names the list in the
    rules (`rejection_codes`, `cancel_codes`), as a lifecycle parameter declares it."""

    def complete(ctx: click.Context, incomplete: str) -> list[str]:
        try:
            names = list(getattr(_app(ctx).settings.rules, attribute))
        except Exception:
            from mpo.core.domain.validation import Rules

            names = list(getattr(Rules(), attribute))
        return _matching(names, incomplete)

    return complete


def statuses(incomplete: str) -> list[str]:
    """Task statuses."""
    return _matching(values(Status), incomplete)


def categories(incomplete: str) -> list[str]:
    """Task categories."""
    return _matching(values(Category), incomplete)


def priorities(incomplete: str) -> list[str]:
    """Task priorities."""
    return _matching(values(Priority), incomplete)


def field_names(field_set: FieldSet) -> Callable[[str], list[str]]:
    """Completes the last name of a comma-separated `--fields` value."""

    def complete(incomplete: str) -> list[str]:
        head, _, last = incomplete.rpartition(",")
        prefix = f"{head}," if head else ""
        return [prefix + f for f in field_set.all if f.startswith(last)]

    return complete


def config_keys(incomplete: str) -> list[str]:
    """The keys a profile may hold."""
    from mpo.config.keys import KEYS

    return _matching(list(KEYS), incomplete)


def profile_names(incomplete: str) -> list[str]:
    """The profiles in the config file (and `default`, which always exists)."""
    try:
        from mpo.config import file, paths
        from mpo.config.edit import names

        return _matching(names(file.load(paths.config_file())), incomplete)
    except Exception:
        return []


def task_ids(ctx: click.Context, incomplete: str) -> list[str]:
    """Task ids the credential's principal may see, by prefix (1+ hex characters)."""
    try:
        from mpo.store.quick import task_ids as lookup

        app = _app(ctx)
        return lookup(app.settings.database_url, app.credential.token, incomplete)
    except Exception:
        return []

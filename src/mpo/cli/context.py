"""The one context object of an invocation: built by the root callback, expensive parts
(settings, database, the acting principal) resolved on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from mpo.config.settings import Settings
    from mpo.core.permissions import Actor
    from mpo.store.database import SqlDatabase


@dataclass
class AppContext:
    """Root options, and what they lead to."""

    database_flag: str | None = None
    profile_flag: str | None = None
    role_flag: str | None = None

    @cached_property
    def settings(self) -> Settings:
        """Flags > environment > profile > defaults."""
        from mpo.config.settings import resolve

        return resolve(database_url=self.database_flag, profile=self.profile_flag,
                       role=self.role_flag)

    @cached_property
    def database(self) -> SqlDatabase:
        """The database the settings name (opened lazily; SQLite must exist)."""
        from mpo.store.database import SqlDatabase

        return SqlDatabase(self.settings.database_url)

    @cached_property
    def actor(self) -> Actor:
        """The principal commands act for: the local user, as admin."""
        import getpass

        from mpo.core.permissions import Actor, Role

        return Actor(name=getpass.getuser(), role=Role.ADMIN)


def current() -> AppContext:
    """The context of the running command (a fresh one outside the root callback)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(AppContext) if ctx is not None else None
    return found if found is not None else AppContext()

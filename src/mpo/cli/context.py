"""The one context object of an invocation: built by the root callback, expensive parts
(settings, credential, database, the acting principal) resolved on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from mpo.auth.credentials import Credential
    from mpo.config.settings import Settings
    from mpo.core.domain.permissions import Actor
    from mpo.core.domain.validation import Rules
    from mpo.store.database import SqlDatabase


@dataclass
class AppContext:
    """Root options, and what they lead to."""

    database_flag: str | None = None
    profile_flag: str | None = None
    role_flag: str | None = None
    token_file: str | None = None

    @cached_property
    def settings(self) -> Settings:
        """Flags > environment > profile > defaults."""
        from mpo.config.settings import resolve

        return resolve(database_url=self.database_flag, profile=self.profile_flag,
                       role=self.role_flag)

    @cached_property
    def credential(self) -> Credential:
        """--token-file, MPO_TOKEN, then the stored token for the role (--as or default)."""
        from mpo.auth.credentials import find
        from mpo.store.engine import require_database

        # A missing SQLite file is the first thing to fix, whatever else is missing.
        require_database(self.settings.database_url)
        return find(self.settings.database_url, self.settings.default_role,
                    token_file=self.token_file)

    @cached_property
    def rules(self) -> Rules:
        """The rulebook's configurable parts (`mpo.bootstrap`, as every door builds them)."""
        from mpo import bootstrap

        return bootstrap.rules(self.settings)

    @cached_property
    def database(self) -> SqlDatabase:
        """The database, acting with the credential (PostgreSQL binds it per transaction),
        its commits heard by the hooks and plugins (`mpo.bootstrap`)."""
        from mpo import bootstrap

        return bootstrap.database(self.settings, self.credential.token)

    @cached_property
    def actor(self) -> Actor:
        """The authenticated principal commands act for."""
        from mpo.core.usecases.identity import authenticate

        return authenticate(self.database, self.credential.token)

    def open_database(self, token: str | None = None) -> SqlDatabase:
        """The database named by the settings, optionally acting with `token`."""
        from mpo.store.database import SqlDatabase

        return SqlDatabase(self.settings.database_url, token=token,
                           listen_url=self.settings.listen_database_url or None)


def current() -> AppContext:
    """The context of the running command (a fresh one outside the root callback)."""
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(AppContext) if ctx is not None else None
    return found if found is not None else AppContext()

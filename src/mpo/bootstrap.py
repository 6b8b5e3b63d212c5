"""The one composition root every door uses: the rules a configuration makes (routing on
approval when `auto_assign` is on, the plugins' validators) and a database whose commits
reach the hooks and plugins. The CLI, `mpo serve`, the TUI and the doors to come build
their parts here, so a rule cannot be wired into one door and forgotten in another.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mpo.config.settings import Settings
    from mpo.core.domain.validation import Rules
    from mpo.store.database import SqlDatabase


def rules(settings: Settings) -> Rules:
    """The rulebook's configurable parts for these settings (a bad routing table with
    `auto_assign` on is refused here, before anything is approved)."""
    from mpo.delivery import plugins

    return replace(
        settings.rules,
        auto_assign=settings.routing_rules if settings.auto_assign else None,
        validator=plugins.validate_create if plugins.entries() else None,
    )


def database(settings: Settings, token: str | None = None, *,
             shared: bool = False) -> SqlDatabase:
    """The settings' database, acting with `token`, its commits delivered to the hooks and
    plugins (`shared`: pooled, for a long-lived server)."""
    from mpo.delivery.dispatch import attach
    from mpo.store.database import SqlDatabase

    listen = settings.listen_database_url or None
    db = (SqlDatabase.shared(settings.database_url, listen_url=listen) if shared
          else SqlDatabase(settings.database_url, token=token, listen_url=listen))
    attach(db)
    return db

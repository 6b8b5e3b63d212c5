"""A database on each backend with an admin and an agent, used as production does: on
PostgreSQL through a login in `mpo_app` (policies and guards apply), each with its token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.validation import Rules
from mpo.core.usecases import identity
from mpo.store.database import SqlDatabase
from tests.migrated import upgrade
from tests.pg_app import app_login
from tests.team import add_members

ROOT = Actor("root", Role.ADMIN)
AGENT = Actor("marketplace-amazon", Role.AGENT, "amazon")


@dataclass
class World:
    """The URL the app uses (an app login's on PostgreSQL) and each principal's token."""

    url: str
    app_url: str
    admin: str
    agent: str

    def db(self, token: str) -> SqlDatabase:
        return SqlDatabase(self.app_url, token=token)


@pytest.fixture
def world(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The database of `database_url`, migrated; MPO_DATABASE_URL and MPO_TOKEN (the
    admin's) set for the CLI."""
    upgrade(database_url)
    owner = SqlDatabase(database_url)
    admin = identity.bootstrap_admin(owner, "root") or ""
    agent = identity.add_principal(owner, ROOT, AGENT.name, "agent", "amazon", Rules()).token
    add_members(database_url)
    owner.engine.dispose()

    def made(app_url: str) -> World:
        monkeypatch.setenv("MPO_DATABASE_URL", app_url)
        monkeypatch.setenv("MPO_TOKEN", admin)
        return World(database_url, app_url, admin, agent)

    if database_url.startswith("sqlite"):
        yield made(database_url)
        return
    with app_login(database_url) as app_url:
        yield made(app_url)

"""The world of the claim tests (docs/claim.md): a database on SQLite, or PostgreSQL reached
as an `mpo_app` login, with principals of every role holding real tokens, and helpers to
make approved tasks and to let a lease run out (as the owner: test set-up, not a path
through the app).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlmodel import col

from mpo.core.domain.clock import utcnow
from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.tables.models import Task
from mpo.core.usecases import identity
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from mpo.store.engine import make_engine
from tests.migrated import upgrade
from tests.pg_app import app_login, module_database

ROOT = Actor("root", Role.ADMIN)
AMAZON = Actor("marketplace-amazon", Role.AGENT, "amazon")
SHOPEE = Actor("marketplace-shopee", Role.AGENT, "shopee")
#: key -> (name, role, marketplace)
PRINCIPALS = {
    "ana": ("ana", "member", None),
    "bea": ("bea", "member", None),
    "agent": ("marketplace-amazon", "agent", "amazon"),
    "shopee": ("marketplace-shopee", "agent", "shopee"),
    "viewer": ("vera", "viewer", None),
}


def _tokens(url: str) -> dict[str, str]:
    db = SqlDatabase(url)
    tokens = {"root": identity.bootstrap_admin(db, "root") or ""}
    for key, (name, role, marketplace) in PRINCIPALS.items():
        tokens[key] = identity.add_principal(db, ROOT, name, role, marketplace, Rules()).token
    return tokens


@pytest.fixture(scope="module")
def postgres_world() -> Iterator[dict[str, Any]]:
    """One PostgreSQL database for the module, used through a login in mpo_app."""
    with module_database() as url:
        upgrade(url)
        tokens = _tokens(url)
        engine = make_engine(url)
        with app_login(url) as app_url:
            yield {"kind": "postgres", "url": url, "app_url": app_url, "tokens": tokens,
                   "engine": engine}
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Principals of every role; root's token is the default credential (MPO_TOKEN)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mpo.db'}"
        upgrade(url)
        found: dict[str, Any] = {"kind": "sqlite", "url": url, "app_url": url,
                                 "tokens": _tokens(url), "engine": make_engine(url)}
    else:
        found = request.getfixturevalue("postgres_world")
        with found["engine"].begin() as conn:  # the module's tasks start afresh per test
            conn.execute(text("UPDATE task SET status = 'cancelled' "
                              "WHERE status IN ('approved', 'in_progress')"))
    monkeypatch.setenv("MPO_DATABASE_URL", found["app_url"])
    monkeypatch.setenv("MPO_TOKEN", found["tokens"]["root"])
    return found


def as_(world: dict[str, Any], key: str, **extra: str) -> dict[str, str]:
    """The environment of a command run as principal `key`."""
    return {"MPO_TOKEN": world["tokens"][key], **extra}


def owner_db(world: dict[str, Any]) -> SqlDatabase:
    """The database as its owner (set-up and read-back)."""
    return SqlDatabase(world["url"], engine=world["engine"])


def approved(world: dict[str, Any], count: int = 1, *, creator: Actor = AMAZON,
             **fields: Any) -> list[str]:
    """`count` new approved tasks proposed by `creator`, oldest first."""
    db = owner_db(world)
    ids = []
    for n in range(count):
        draft = {"marketplace": creator.marketplace or "amazon", "title": f"work {n}",
                 "category": "analysis", "estimated_hours": 2, **fields}
        task = create_tasks(db, creator, [("t", draft)], Rules()).tasks[0].task
        for action in (Action.SUBMIT, Action.APPROVE):
            transition(db, ROOT, action, Selection(refs=(str(task.id),)), TransitionParams(),
                       Rules())
        ids.append(str(task.id))
    return ids


def run_out(world: dict[str, Any], task_id: str) -> None:
    """Let the task's lease run out (an hour ago), as the owner would see time pass."""
    with world["engine"].begin() as conn:
        conn.execute(update(Task).where(col(Task.id) == uuid.UUID(task_id))
                     .values(lease_expires_at=utcnow() - timedelta(hours=1)))


def row(world: dict[str, Any], task_id: str) -> dict[str, Any]:
    """The task as stored (status, assignee, lease)."""
    from tests import readback

    return readback.tasks(world["url"])[task_id]


def actions(world: dict[str, Any], task_id: str) -> list[tuple[str, str]]:
    """(action, actor) of the task's events, in order."""
    from tests import readback

    return [(e["action"], e["actor"]) for e in readback.events(world["url"])
            if e["task_id"] == task_id]

"""A server's request on PostgreSQL: the transaction that authenticated its caller is the
one the use case continues (`SqlDatabase.acting(carry=True)`): one transaction and one
`mpo_authenticate` per request, as an `mpo_app` login; revocation still bites at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from mpo.core.domain.errors import AuthError
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.validation import Rules
from mpo.core.usecases import identity
from mpo.core.usecases.create import create_tasks
from mpo.store.database import SqlDatabase
from tests.migrated import upgrade
from tests.pg_app import app_login

TASK = {"marketplace": "amazon", "title": "t", "category": "analysis", "priority": "low",
        "estimated_hours": 1, "created_by": "marketplace-amazon"}


@pytest.fixture
def served(pg_url: str) -> Iterator[tuple[SqlDatabase, dict[str, str]]]:
    """The server's shared database, as an app login, and the tokens of an admin and an
    agent."""
    upgrade(pg_url)
    owner = SqlDatabase(pg_url)
    root = identity.bootstrap_admin(owner, "root")
    assert root is not None
    agent = identity.add_principal(owner, Actor("root", Role.ADMIN), "marketplace-amazon",
                                   "agent", "amazon", Rules()).token
    owner.engine.dispose()
    with app_login(pg_url) as url:
        shared = SqlDatabase.shared(url)
        yield shared, {"root": root, "agent": agent}
        shared.engine.dispose()


def _statements(db: SqlDatabase) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    return seen


def test_a_request_authenticates_once_in_the_transaction_that_creates(
    served: tuple[SqlDatabase, dict[str, str]],
) -> None:
    shared, tokens = served
    seen = _statements(shared)
    db = shared.acting(tokens["agent"], carry=True)
    actor = identity.authenticate(db, tokens["agent"])
    assert db.holding
    created = create_tasks(db, actor, [("task", TASK)], Rules()).tasks[0].task
    assert not db.holding
    assert sum("mpo_authenticate" in s for s in seen) == 1
    assert created.recorded_by == "marketplace-amazon"  # the guard's stamp, read back
    with shared.acting(tokens["root"]).read() as uow:
        assert uow.tasks.get(created.id) is not None


def test_a_carried_unit_nobody_takes_is_released(
    served: tuple[SqlDatabase, dict[str, str]],
) -> None:
    shared, tokens = served
    for _ in range(40):  # more than the pool holds: a leaked connection would block
        db = shared.acting(tokens["agent"], carry=True)
        identity.authenticate(db, tokens["agent"])
        assert db.holding
        db.release()
        assert not db.holding
    assert shared.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_revoked_token_fails_on_the_next_request(
    served: tuple[SqlDatabase, dict[str, str]],
) -> None:
    shared, tokens = served
    db = shared.acting(tokens["agent"], carry=True)
    identity.authenticate(db, tokens["agent"])
    db.release()
    identity.revoke_principal(shared.acting(tokens["root"]), Actor("root", Role.ADMIN),
                              "marketplace-amazon")
    again = shared.acting(tokens["agent"], carry=True)
    with pytest.raises(AuthError):
        identity.authenticate(again, tokens["agent"])
    again.release()
    assert shared.engine.pool.checkedout() == 0  # type: ignore[attr-defined]

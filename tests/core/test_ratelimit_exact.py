"""Rate limits are exact under concurrency on both databases (issue 22, finding 10): 16
creates at once by one agent under `agent=5/minute`, each on its own engine (as separate
servers would be), make exactly 5 tasks; on PostgreSQL as an `mpo_app` login."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from sqlalchemy import func, select

from mpo.core.domain.errors import MpoError, RateLimited
from mpo.core.domain.validation import Rules
from mpo.core.tables.models import Task
from mpo.core.usecases import ratelimit
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.identity import add_principal, authenticate, bootstrap_admin
from mpo.store.database import SqlDatabase
from mpo.store.migrate import upgrade
from tests.builders import RULES, draft
from tests.pg_app import app_login

WRITERS, LIMIT = 16, 5


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[str, str]]:
    """(the URL a server connects with, an agent's token) on each database."""
    upgrade(database_url)
    owner = SqlDatabase(database_url)
    root = bootstrap_admin(owner, "root")
    assert root is not None
    token = add_principal(owner, authenticate(owner, root), "marketplace-amazon", "agent",
                          "amazon", Rules()).token
    owner.engine.dispose()
    with ExitStack() as stack:
        url = (stack.enter_context(app_login(database_url))
               if database_url.startswith("postgresql") else database_url)
        yield url, token


def test_concurrent_creates_by_one_agent_stop_exactly_at_its_rate(
        served: tuple[str, str], database_url: str) -> None:
    url, token = served
    limits = ratelimit.parse(f"agent={LIMIT}/minute")
    outcomes: Counter[str] = Counter()
    start = threading.Barrier(WRITERS)

    def create(n: int) -> None:
        db = SqlDatabase(url).acting(token)  # an engine of its own: another server
        try:
            actor = authenticate(db, token)
            start.wait()
            create_tasks(db, actor, [("task", draft(title=f"t{n}"))], RULES, limits=limits)
            outcomes["created"] += 1
        except RateLimited:
            outcomes["refused"] += 1
        except MpoError as exc:
            outcomes[type(exc).__name__] += 1
        finally:
            db.engine.dispose()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    owner = SqlDatabase(database_url)
    with owner.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(Task)).scalar_one()
    owner.engine.dispose()
    assert outcomes == Counter(created=LIMIT, refused=WRITERS - LIMIT)
    assert stored == LIMIT

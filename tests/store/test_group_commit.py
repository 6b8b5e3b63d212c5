"""Group commit (the server's SQLite writes): many threads' units share COMMITs, each stays
atomic on its own, and each returns only once its data is committed."""

from __future__ import annotations

import threading

import pytest

from mpo.core.domain.errors import ValidationError
from mpo.core.tables.models import Task
from mpo.core.usecases.create import create_tasks
from mpo.store.database import SqlDatabase
from tests import readback
from tests.builders import ADMIN, RULES, draft, proposer
from tests.migrated import upgrade

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_concurrent_writers_share_commits_and_every_unit_lands(database_url: str) -> None:
    upgrade(database_url)
    proposer(SqlDatabase(database_url))
    db = SqlDatabase.shared(database_url)
    seen: list[int] = []

    def writer(n: int) -> None:
        for i in range(10):
            create_tasks(db, ADMIN, [("task", draft(title=f"{n}-{i}"))], RULES)
            seen.append(len(readback.tasks(database_url)))  # committed when the call returns

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(readback.tasks(database_url)) == 80 and len(readback.events(database_url)) == 80
    assert db._group is not None and db._group._group <= 80
    assert min(seen) >= 1


def test_a_failing_unit_rolls_back_alone(database_url: str) -> None:
    upgrade(database_url)
    proposer(SqlDatabase(database_url))
    db = SqlDatabase.shared(database_url)
    create_tasks(db, ADMIN, [("task", draft(title="kept"))], RULES)
    with pytest.raises(ValidationError), db.write() as uow:
        uow.tasks.add(Task(marketplace="amazon", created_by="ana", title="dropped",
                           category="analysis", priority="low", estimated_hours=1))
        uow.session.flush()  # the row is written inside the savepoint
        raise ValidationError("title", "refused after writing")
    assert [t["title"] for t in readback.tasks(database_url).values()] == ["kept"]

"""Idempotency keys in the use cases: concurrent retries apply once, a refused request
keeps no key, and a replay is the first result whole."""

from __future__ import annotations

import threading

import pytest

from mpo.core.domain.errors import InvalidTransition
from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.results import BatchResult
from mpo.core.domain.selection import Selection
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from tests import readback
from tests.builders import ADMIN, RULES, make_task, task_in

THREADS = 8


def test_concurrent_retries_with_one_key_apply_once(db: SqlDatabase) -> None:
    ids = tuple(str(task_in(db, Status.AWAITING_APPROVAL).id) for _ in range(3))
    start = threading.Barrier(THREADS)
    results: list[BatchResult] = []
    failures: list[BaseException] = []

    def approve() -> None:
        mine = SqlDatabase(db.url)  # a connection of its own, as another process has
        start.wait()
        try:
            results.append(transition(mine, ADMIN, Action.APPROVE, Selection(refs=ids),
                                      TransitionParams(note="go"), RULES,
                                      idempotency_key="the-same-key"))
        except BaseException as exc:
            failures.append(exc)
        finally:
            mine.engine.dispose()

    threads = [threading.Thread(target=approve) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(results) == THREADS and sum(not r.replayed for r in results) == 1
    assert len({r.batch_id for r in results}) == 1
    assert {str(i.task.id) for r in results for i in r.items} == set(ids)
    approvals = [e for e in readback.events(db.url) if e["action"] == "approve"]
    assert len(approvals) == 3


def test_a_refused_request_keeps_no_key(db: SqlDatabase) -> None:
    task = make_task(db)
    approve = (ADMIN, Action.APPROVE, Selection(refs=(str(task.id),)), TransitionParams(),
               RULES)
    with pytest.raises(InvalidTransition):
        transition(db, *approve, idempotency_key="k")
    assert readback.fetch(db.url, "SELECT key FROM idempotency_key") == []
    transition(db, ADMIN, Action.SUBMIT, Selection(refs=(str(task.id),)), TransitionParams(),
               RULES)
    assert not transition(db, *approve, idempotency_key="k").replayed


def test_a_replay_is_the_first_result_whole(db: SqlDatabase) -> None:
    task = task_in(db, Status.AWAITING_APPROVAL)
    approve = (ADMIN, Action.APPROVE, Selection(refs=(str(task.id),)),
               TransitionParams(note="go"), RULES)
    first = transition(db, *approve, idempotency_key="whole")
    again = transition(db, *approve, idempotency_key="whole")
    assert again.replayed and not first.replayed
    assert (str(again.action), again.batch_id, again.skipped) == (
        str(first.action), first.batch_id, first.skipped)
    for old, new in zip(first.items, again.items, strict=True):
        assert (old.from_status, old.to_status, old.outcome) == (
            new.from_status, new.to_status, new.outcome)
        assert old.task.model_dump() == new.task.model_dump()

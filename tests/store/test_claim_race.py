"""Claims are exactly once (docs/claim.md): concurrent claimers on SQLite and on PostgreSQL
as `mpo_app` logins each take different tasks, together all of them; on PostgreSQL a claim
passes over a task another transaction holds instead of waiting for it; and raw SQL as an
app login cannot get around a lease."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from mpo.core.domain.errors import NotFound
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.validation import Rules
from mpo.core.usecases import identity
from mpo.core.usecases.claims import claim, claim_query
from mpo.store.database import SqlDatabase
from tests.claim_world import ROOT, approved, run_out
from tests.migrated import upgrade
from tests.pg_app import app_login, conninfo, module_database
from tests.readback import fetch

PEOPLE = ("ana", "bea", "bob", "bruno")


def _members(url: str) -> dict[str, str]:
    db = SqlDatabase(url)
    tokens = {"root": identity.bootstrap_admin(db, "root") or ""}
    for name in PEOPLE:
        tokens[name] = identity.add_principal(db, ROOT, name, "member", None, Rules()).token
    for name, market in (("marketplace-amazon", "amazon"),):
        identity.add_principal(db, ROOT, name, "agent", market, Rules())
    return tokens


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[dict[str, Any]]:
    """A fresh database per test: claims compete for all of its approved tasks."""
    from mpo.store.engine import make_engine

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mpo.db'}"
        upgrade(url)
        yield {"kind": "sqlite", "url": url, "app_url": url, "tokens": _members(url),
               "engine": make_engine(url)}
        return
    with module_database() as url:
        upgrade(url)
        tokens = _members(url)
        engine = make_engine(url)
        with app_login(url) as app_url:
            yield {"kind": "postgres", "url": url, "app_url": app_url, "tokens": tokens,
                   "engine": engine}
        engine.dispose()


def _claim(world: dict[str, Any], name: str) -> uuid.UUID | None:
    db = SqlDatabase(world["app_url"], token=world["tokens"][name])
    actor = Actor(name, Role.MEMBER)
    try:
        return claim(db, actor, claim_query(Rules(), actor)).id
    except NotFound:
        return None


def test_concurrent_claimers_take_each_task_exactly_once(world: dict[str, Any]) -> None:
    tasks = set(approved(world, 24))
    taken: dict[str, list[str]] = {name: [] for name in PEOPLE}
    start = threading.Barrier(len(PEOPLE))

    def executor(name: str) -> None:
        start.wait()
        while (task := _claim(world, name)) is not None:
            taken[name].append(str(task))

    threads = [threading.Thread(target=executor, args=(n,)) for n in PEOPLE]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [t for ids in taken.values() for t in ids]
    assert sorted(every) == sorted(tasks)  # none twice, none lost
    claims = fetch(world["url"], "SELECT task_id, actor FROM task_event WHERE action = 'claim'")
    assert sorted(str(uuid.UUID(str(c["task_id"]))) for c in claims) == sorted(tasks)
    holders = {str(uuid.UUID(str(r["id"]))): r["assigned_to"]
               for r in fetch(world["url"], "SELECT id, assigned_to FROM task")}
    assert all(holders[t] == name for name, ids in taken.items() for t in ids)


def test_a_claim_passes_over_a_task_another_claim_holds(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    if world["kind"] != "postgres":
        pytest.skip("SQLite has one writer at a time: there is nothing to pass over")
    held, free = approved(world, 2)
    # Had the claim waited for the row lock, it would fail here instead of answering.
    monkeypatch.setenv("PGOPTIONS", "-c lock_timeout=5000")
    with psycopg.connect(conninfo(world["app_url"])) as other:
        other.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["bea"],))
        other.execute("SELECT id FROM task WHERE id = %s FOR UPDATE", (held,))
        assert str(_claim(world, "ana")) == free
        other.rollback()
    assert str(_claim(world, "bob")) == held


def _leased(world: dict[str, Any]) -> dict[str, str]:
    """ana's live lease, ana's lost lease, and a free task."""
    live, lost, free = approved(world, 3)
    ana = Actor("ana", Role.MEMBER)
    owner = SqlDatabase(world["url"], engine=world["engine"])
    for _ in range(2):
        claim(owner, ana, claim_query(Rules(), ana))
    run_out(world, lost)
    return {"live": live, "lost": lost, "free": free}


_DONE = ("status = 'completed', completed_by = '{who}', actual_hours = 1, "
         "completed_at = now()")
_BACK = ("status = 'approved', assigned_to = NULL, assigned_by = NULL, started_at = NULL, "
         "lease_expires_at = NULL")
_CLAIM = ("status = 'in_progress', assigned_to = '{to}', assigned_by = '{who}', "
          "started_at = now(), lease_expires_at = {until}")
#: (who, task, SET ...): every one must be refused or touch nothing.
ATTACKS = {
    "bea completes ana's task": ("bea", "live", _DONE.format(who="bea")),
    "ana completes after her lease ran out": ("ana", "lost", _DONE.format(who="ana")),
    "ana extends a lease that ran out": (
        "ana", "lost", "lease_expires_at = now() + interval '1 hour'"),
    "bea extends ana's lease": ("bea", "live", "lease_expires_at = now() + interval '1 day'"),
    "bea returns ana's live lease": ("bea", "live", _BACK),
    "bea releases ana's task": ("bea", "live", _BACK),
    "bea claims a task for ana": (
        "bea", "free", _CLAIM.format(to="ana", who="bea", until="now() + interval '1 hour'")),
    "bea claims with a lease already over": (
        "bea", "free", _CLAIM.format(to="bea", who="bea", until="now() - interval '1 hour'")),
    "bea takes ana's task over": ("bea", "live", "assigned_to = 'bea'"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_raw_sql_cannot_get_around_a_lease(world: dict[str, Any], attack: str) -> None:
    if world["kind"] != "postgres":
        pytest.skip("the write guards are PostgreSQL's")
    tasks = _leased(world)
    who, which, sets = ATTACKS[attack]
    before = fetch(world["url"], "SELECT * FROM task ORDER BY id")
    with psycopg.connect(conninfo(world["app_url"])) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"][who],))
        try:  # refused by the row's guard at once, not later for a missing event
            touched = conn.execute(f"UPDATE task SET {sets} WHERE id = %s",
                                   (tasks[which],)).rowcount
        except psycopg.errors.InsufficientPrivilege:
            touched = 0
    assert touched == 0
    assert fetch(world["url"], "SELECT * FROM task ORDER BY id") == before


def test_the_rightful_moves_through_raw_sql_still_work(world: dict[str, Any]) -> None:
    """What the attacks try, done by whom may: the guards refuse the forgeries only."""
    if world["kind"] != "postgres":
        pytest.skip("the write guards are PostgreSQL's")
    tasks = _leased(world)
    moves = [("ana", "live", "lease_expires_at = now() + interval '1 hour'", "heartbeat",
              "in_progress", "in_progress"),
             ("bea", "lost", _BACK, "lease_expired", "in_progress", "approved"),
             ("bea", "free", _CLAIM.format(to="bea", who="bea",
                                          until="now() + interval '1 hour'"),
              "claim", "approved", "in_progress"),
             ("ana", "live", _DONE.format(who="ana"), "complete", "in_progress", "completed")]
    for who, which, sets, action, source, target in moves:
        with psycopg.connect(conninfo(world["app_url"])) as conn:
            conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"][who],))
            moved = conn.execute(f"UPDATE task SET {sets} WHERE id = %s", (tasks[which],))
            assert moved.rowcount == 1, action
            conn.execute("INSERT INTO task_event (task_id, actor, action, from_status, "
                         "to_status, at, payload) VALUES (%s, %s, %s, %s, %s, now(), '{}')",
                         (tasks[which], who, action, source, target))
            conn.commit()

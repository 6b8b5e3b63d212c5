"""Bulk create checked as one set (`mpo_create_batch`, issue 26), attacked through raw SQL
as `mpo_app` logins: the function refuses what the row guards refuse, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mpo.store.bulk import STAGE_AT_LEAST
from tests.conftest import MpoRunner
from tests.store.test_attacks import _attempt, _snapshot, world

__all__ = ["world"]  # the module's database, principals and tasks (test_attacks)

COLUMNS = ("id, marketplace, created_by, title, description, category, status, priority,"
           " estimated_hours, tags, metadata")


def _batch(created_by: str = "marketplace-amazon", marketplace: str = "amazon",
           status: str = "pending", extra: str = "", events: str = "", count: int = 2,
           tables: str = "'pg_temp.t', 'pg_temp.e'") -> str:
    """Stage `count` tasks (with `extra` columns set by an UPDATE of the stage) and one
    create event each (`events`: more SQL on the event stage), then call the function."""
    return (
        f"CREATE TEMP TABLE t ON COMMIT DROP AS SELECT {COLUMNS}, approved_by, assigned_to,"
        " lease_expires_at, recorded_by, created_at FROM task WITH NO DATA;"
        f" INSERT INTO t ({COLUMNS}) SELECT gen_random_uuid(), '{marketplace}',"
        f" '{created_by}', 'bulk', '', 'analysis', '{status}', 'low', 1, '[]', '{{{{}}}}'"
        f" FROM generate_series(1, {count});"
        + (f" UPDATE t SET {extra};" if extra else "")
        + " CREATE TEMP TABLE e ON COMMIT DROP AS SELECT task_id, batch_id, payload"
        " FROM task_event WITH NO DATA;"
        " INSERT INTO e SELECT id, gen_random_uuid(), '{{}}' FROM t;"
        + events
        + f" SELECT mpo_create_batch({tables})")


#: (attacker, SQL with {task} placeholders): every one must fail and change nothing.
ATTACKS: dict[str, tuple[str, str]] = {
    "agent creates for another marketplace": ("agent", _batch(marketplace="shopee")),
    "agent creates as another agent": ("agent", _batch(created_by="marketplace-shopee")),
    "agent creates tasks born approved": ("agent", _batch(status="approved")),
    "agent creates a pending task already approved_by": (
        "agent", _batch(extra="approved_by = 'root'")),
    "agent creates a pending task already assigned": (
        "agent", _batch(extra="assigned_to = 'bob'")),
    "agent creates a pending task holding a lease": (
        "agent", _batch(extra="lease_expires_at = now() + interval '1 hour'")),
    "master creates for a principal that does not exist": ("master", _batch(created_by="ghost")),
    "master creates for an admin": ("master", _batch(created_by="root")),
    "member creates tasks": ("member", _batch(created_by="ana")),
    "viewer creates tasks": ("viewer", _batch(created_by="vera")),
    "agent leaves a task without its event": (
        "agent", _batch(events=" DELETE FROM e WHERE task_id = (SELECT id FROM t LIMIT 1);")),
    "agent records a second create for a task": (
        "agent", _batch(events=" INSERT INTO e SELECT task_id, batch_id, payload FROM e"
                        " LIMIT 1;")),
    "agent records a create of an existing task": (
        "agent", _batch(events=" INSERT INTO e VALUES ('{pending}', gen_random_uuid(),"
                        " '{{}}');")),
    "agent swaps an event onto an existing task": (
        "agent", _batch(events=" UPDATE e SET task_id = '{pending}' WHERE task_id ="
                        " (SELECT id FROM t LIMIT 1);")),
    "admin hands the function real tables": (
        "admin", "SELECT mpo_create_batch('task', 'task_event')"),
    "agent records a create of an existing task in an empty batch": (
        "agent", _batch(count=0, events=" INSERT INTO e VALUES ('{pending}',"
                        " gen_random_uuid(), '{{}}');")),
    # a stage is read as the owner: none may run the caller's code there
    "admin stages a view": (
        "admin", _batch(created_by="root", events=" ALTER TABLE e RENAME TO e0;"
                        " CREATE TEMP VIEW e AS SELECT * FROM e0;")),
    "admin stages a table with a policy": (
        "admin", _batch(created_by="root", events=" ALTER TABLE e ENABLE ROW LEVEL SECURITY;"
                        " CREATE POLICY p ON e USING (true);")),
    "admin stages a column of another type": (
        "admin", _batch(created_by="root", events=" ALTER TABLE t ALTER title TYPE text;")),
    "admin stages a column the table has not": (
        "admin", _batch(created_by="root", events=" ALTER TABLE e ADD evil text;")),
    "one bad row refuses the batch": (
        "agent", _batch(count=STAGE_AT_LEAST, extra="marketplace = 'shopee' WHERE id ="
                        " (SELECT id FROM t ORDER BY id DESC LIMIT 1)")),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_the_batch_attack_fails_and_changes_nothing(world: dict[str, Any], attack: str) -> None:
    role, sql = ATTACKS[attack]
    before = _snapshot(world)
    outcome = _attempt(world, role, sql)
    assert isinstance(outcome, psycopg.errors.InsufficientPrivilege), outcome
    assert _snapshot(world) == before


def test_an_unauthenticated_batch_is_refused(world: dict[str, Any]) -> None:
    with psycopg.connect(world["app"]) as conn, pytest.raises(
            psycopg.errors.InsufficientPrivilege, match="no authenticated principal"):
        conn.execute(_batch().format(**world["tasks"]))


def test_the_rightful_batch_is_stamped_by_the_database(world: dict[str, Any]) -> None:
    """The creator's own batch goes in whole: `recorded_by` the principal and
    `created_at` now() whatever the stage said, one create event each in its name."""
    with psycopg.connect(world["app"]) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["agent"],))
        conn.execute(_batch(extra="recorded_by = 'root', created_at = '2000-01-01'")
                     .format(**world["tasks"]))
        rows = conn.execute(
            "SELECT t.recorded_by, t.created_at = now(), e.actor, e.action, e.from_status,"
            " e.to_status, e.at = now() FROM task t JOIN task_event e ON e.task_id = t.id"
            " WHERE t.id IN (SELECT id FROM t)").fetchall()
        assert rows == [("marketplace-amazon", True, "marketplace-amazon", "create", None,
                         "pending", True)] * 2
        conn.rollback()


def test_a_bulk_create_as_an_app_login_goes_through_the_function(
        runner: MpoRunner, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    """The real app, an agent's NDJSON batch (COPY, then `mpo_create_batch`): every task
    with its event, and the answer is what was stored (the database's clock)."""
    monkeypatch.setenv("MPO_DATABASE_URL", world["app"].replace(
        "postgresql://", "postgresql+psycopg://", 1))
    count = STAGE_AT_LEAST + 6
    source = tmp_path / "batch.ndjson"
    source.write_text("".join(json.dumps({
        "title": f"bulk {n}", "category": "analysis", "estimated_hours": 2,
        "tags": ["geo"], "metadata": {"n": n}}) + "\n" for n in range(count)))
    made = runner.json("create", "--from", str(source),
                       env={"MPO_TOKEN": world["tokens"]["agent"]})
    assert len(made) == count and {t["created"] for t in made} == {True}
    with psycopg.connect(world["url"].replace("postgresql+psycopg://", "postgresql://")
                         ) as conn:
        stored = dict(conn.execute(
            "SELECT t.id::text, t.created_at FROM task t JOIN task_event e"
            " ON e.task_id = t.id AND e.action = 'create' AND e.actor = t.created_by"
            " WHERE t.title LIKE 'bulk %%' AND t.recorded_by = 'marketplace-amazon'"
        ).fetchall())
    assert set(stored) == {t["id"] for t in made}
    assert {t["created_at"] for t in made} == {stored[t["id"]].isoformat() for t in made}

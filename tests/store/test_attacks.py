"""The attack suite: what docs/security.md says PostgreSQL enforces, tried through raw SQL.

Each attacker is a login in `mpo_app` (not the owner, not a superuser) holding a real mpo
token: it authenticates with `SELECT mpo_authenticate(token)` and tries a write the core
would refuse (issue 10). Every attempt must fail, or touch no row, and leave tasks,
principals and the audit log exactly as they were, even when the attacker commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import Any

import psycopg
import pytest

from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases import identity
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from tests.migrated import upgrade
from tests.pg_app import app_login, conninfo, module_database

ROOT = Actor("root", Role.ADMIN)
AMAZON = Actor("marketplace-amazon", Role.AGENT, "amazon")
SHOPEE = Actor("marketplace-shopee", Role.AGENT, "shopee")
PRINCIPALS = {  # role name in the attacks -> (name, role, marketplace)
    "agent": ("marketplace-amazon", "agent", "amazon"),
    "shopee": ("marketplace-shopee", "agent", "shopee"),
    "master": ("marketplace-master", "master", None),
    "member": ("ana", "member", None),
    "viewer": ("vera", "viewer", None),
}
PARAMS = TransitionParams(reason_code="duplicate", assignee="bob", actual_hours=1.0)
PATHS = {
    "pending": (),
    "awaiting": (Action.SUBMIT,),
    "approved": (Action.SUBMIT, Action.APPROVE),
    "bobs": (Action.SUBMIT, Action.APPROVE, Action.ASSIGN),
    "completed": (Action.SUBMIT, Action.APPROVE, Action.ASSIGN, Action.COMPLETE),
}


def _task(db: SqlDatabase, creator: Actor, path: tuple[Action, ...], **extra: Any) -> str:
    draft = {"marketplace": creator.marketplace or "amazon", "title": "t",
             "category": "analysis", "estimated_hours": 2, **extra}
    task_id = str(create_tasks(db, creator, [("t", draft)], Rules()).tasks[0]
                  .task.id)
    for action in path:
        transition(db, ROOT, action, Selection(refs=(task_id,)), PARAMS, Rules())
    return task_id


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    """One database for the module: principals, tasks in each state, an app login."""
    with module_database() as url:
        upgrade(url)
        db = SqlDatabase(url)
        tokens = {"admin": identity.bootstrap_admin(db, "root")}
        for key, (name, role, marketplace) in PRINCIPALS.items():
            tokens[key] = identity.add_principal(db, ROOT, name, role, marketplace,
                                                 Rules()).token
        identity.add_principal(db, ROOT, "bob", "member", None, Rules())  # PARAMS' assignee
        tasks = {state: _task(db, AMAZON, path) for state, path in PATHS.items()}
        tasks["shopee"] = _task(db, SHOPEE, ())
        tasks["roots"] = _task(db, ROOT, (Action.SUBMIT,), created_by="marketplace-amazon")
        tasks["masters"] = _task(db, ROOT, (), created_by="marketplace-master")  # amazon's
        with app_login(url) as app_url:
            yield {"url": url, "app": conninfo(app_url), "tokens": tokens, "tasks": tasks}


def _snapshot(world: dict[str, Any]) -> list[list[tuple[Any, ...]]]:
    with psycopg.connect(conninfo(world["url"])) as conn:
        return [conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("task", "task_event", "principal")]


def _insert(status: str = "pending", marketplace: str = "amazon",
            created_by: str = "marketplace-amazon", **extra: str) -> str:
    columns = "".join(f", {c}" for c in extra)
    values = "".join(f", {v}" for v in extra.values())
    return ("INSERT INTO task (id, marketplace, created_by, title, description, category,"
            " status, priority, estimated_hours, created_at, tags, metadata" + columns + ")"
            f" VALUES (gen_random_uuid(), '{marketplace}', '{created_by}', 't', '',"
            f" 'analysis', '{status}', 'low', 1, now(), '[]', '{{{{}}}}'" + values + ")")


def _event(task: str, action: str, from_status: str | None, to_status: str,
           actor: str = "marketplace-amazon") -> str:
    source = "NULL" if from_status is None else f"'{from_status}'"
    return ("INSERT INTO task_event (task_id, actor, action, from_status, to_status, at,"
            f" payload) VALUES ('{{{task}}}', '{actor}', '{action}', {source}, '{to_status}',"
            " now(), '{{}}')")


def _move(task: str, sets: str) -> str:
    return f"UPDATE task SET {sets} WHERE id = '{{{task}}}'"


_CANCEL = "cancelled_by = 'marketplace-amazon', cancellation_code = 'obsolete'"
NOT_PENDING = [s.value for s in Status if s is not Status.PENDING]

#: (attacker, SQL with {task} placeholders): every one must fail or touch nothing.
ATTACKS: dict[str, tuple[str, str]] = {
    # 1. principals change only their own token
    "agent moves to another marketplace": (
        "agent", "UPDATE principal SET marketplace = 'shopee' WHERE name = 'marketplace-amazon'"),
    "agent renames itself": (
        "agent", "UPDATE principal SET name = 'bob' WHERE name = 'marketplace-amazon'"),
    "member makes itself admin": ("member", "UPDATE principal SET role = 'admin'"),
    "member un-revokes or revokes itself": ("member", "UPDATE principal SET revoked_at = now()"),
    "viewer rotates and renames at once": (
        "viewer", "UPDATE principal SET token_hash = md5('x') || md5('y'), name = 'vera2'"),
    "viewer rotates someone else": (
        "viewer", "UPDATE principal SET token_hash = md5('x') || md5('y') WHERE name = 'ana'"),
    "agent adds a principal": (
        "agent", "INSERT INTO principal (id, name, role, token_hash, created_at) VALUES"
                 " (gen_random_uuid(), 'evil', 'admin', md5('e') || md5('f'), now())"),
    # 2. tasks are born pending, with no decision
    **{f"agent inserts a task born {status}": ("agent", _insert(status))
       for status in NOT_PENDING},
    "agent inserts a task born approved by root": (
        "agent", _insert("approved", approved_by="'root'", approved_at="now()")),
    "agent inserts a pending task already approved_by": (
        "agent", _insert(approved_by="'root'")),
    "agent inserts a pending task already assigned": ("agent", _insert(assigned_to="'bob'")),
    "agent inserts for another marketplace": ("agent", _insert(marketplace="shopee")),
    "agent inserts as another agent": ("agent", _insert(created_by="marketplace-shopee")),
    "master inserts for a principal that does not exist": (
        "master", _insert(created_by="ghost")),
    "master inserts for an admin": ("master", _insert(created_by="root")),
    "member inserts a task": ("member", _insert(created_by="ana")),
    "viewer inserts a task": ("viewer", _insert(created_by="vera")),
    # 2. updates follow the transition table, the role's verbs and the stamps
    "agent approves its own task": ("agent", _move("awaiting", "status = 'approved'")),
    # agents submit and cancel only their own proposals, and cancel only before approval
    # (OWN_ONLY; the guard alone holds it: no policy narrows an agent's updates)
    "agent submits its marketplace's proposal made for the master": (
        "agent", _move("masters", "status = 'awaiting_approval'")),
    "agent cancels its marketplace's proposal made for the master": (
        "agent", _move("masters", f"status = 'cancelled', {_CANCEL}")),
    "agent cancels its own approved task": (
        "agent", _move("approved", f"status = 'cancelled', {_CANCEL}")),
    "agent edits another marketplace's task": ("agent", _move("shopee", "title = 'pwned'")),
    "master submits and moves the task to shopee": (
        "master", _move("pending", "status = 'awaiting_approval', marketplace = 'shopee'")),
    "master submits and rewrites the creator": (
        "master", _move("pending", "status = 'awaiting_approval', created_by = 'x'")),
    "master submits and rewrites the title": (
        "master", _move("pending", "status = 'awaiting_approval', title = 'other'")),
    "master approves": ("master", _move("awaiting", "status = 'approved', approved_by = 'x'")),
    "master jumps pending to approved": ("master", _move("pending", "status = 'approved'")),
    "member jumps approved to completed": (
        "member", _move("approved", "status = 'completed', assigned_to = 'ana'")),
    "member completes bob's task": (
        "member", _move("bobs", "status = 'completed', actual_hours = 1")),
    "member claims a task for bob": (
        "member", _move("approved", "status = 'in_progress', assigned_to = 'bob'")),
    "admin approves a task it recorded for an agent": (
        "admin", _move("roots", "status = 'approved', approved_by = 'root'")),
    "admin approves in another's name": (
        "admin", _move("awaiting", "status = 'approved', approved_by = 'vera'")),
    "admin approves and retitles": (
        "admin", _move("awaiting", "status = 'approved', approved_by = 'root', title = 'x'")),
    "admin edits a title without a transition": ("admin", _move("pending", "title = 'x'")),
    "admin changes an id": ("admin", _move("pending", "id = gen_random_uuid()")),
    "admin backdates created_at": ("admin", _move("pending", "created_at = '2000-01-01'")),
    "admin rewrites recorded_by": ("admin", _move("roots", "recorded_by = 'marketplace-x'")),
    "admin reopens a completed task": ("admin", _move("completed", "status = 'pending'")),
    "admin skips approval": ("admin", _move("pending", "status = 'in_progress'")),
    # 2. events record the actor's own change, made in the same transaction
    "agent records an approve of its own task": (
        "agent", _event("pending", "approve", "awaiting_approval", "approved")),
    "agent records a second create": ("agent", _event("pending", "create", None, "pending")),
    "agent records in root's name": (
        "agent", _event("pending", "approve", "awaiting_approval", "approved", "root")),
    "master records a submit it did not make": (
        "master", _event("awaiting", "submit", "pending", "awaiting_approval",
                         "marketplace-master")),
    "admin records a decision that never happened": (
        "admin", _event("awaiting", "approve", "awaiting_approval", "approved", "root")),
    "admin records an unknown action": (
        "admin", _event("pending", "delete", "pending", "pending", "root")),
    # nobody deletes, truncates or edits the log
    **{f"{role} deletes from {table}": (role, f"DELETE FROM {table}")
       for role in ("agent", "admin") for table in
       ("task", "task_event", "principal", "access_denial")},
    "admin truncates the log": ("admin", "TRUNCATE task_event CASCADE"),
    "admin edits the log": ("admin", "UPDATE task_event SET actor = 'mallory'"),
    "admin edits a refusal": ("admin", "UPDATE access_denial SET reason = 'x'"),
}


def _attempt(world: dict[str, Any], role: str, sql: str) -> psycopg.Error | int:
    """Run `sql` as `role` and commit it: the error, or how many rows it touched."""
    with psycopg.connect(world["app"]) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"][role],))
        try:
            touched = conn.execute(sql.format(**world["tasks"])).rowcount
        except psycopg.Error as exc:
            conn.rollback()
            return exc
        conn.commit()
        return touched


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_the_attack_fails_and_changes_nothing(world: dict[str, Any], attack: str) -> None:
    role, sql = ATTACKS[attack]
    before = _snapshot(world)
    outcome = _attempt(world, role, sql)
    assert isinstance(outcome, psycopg.errors.InsufficientPrivilege) or outcome == 0, outcome
    assert _snapshot(world) == before


def test_the_rightful_path_through_raw_sql_still_works(world: dict[str, Any]) -> None:
    """The guards refuse the forgeries above, not the writes the core makes; the
    timestamps stored are the database's, whatever the client sent."""
    with psycopg.connect(world["app"]) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["agent"],))
        task = conn.execute(
            "INSERT INTO task (id, marketplace, created_by, title, description, category,"
            " status, priority, estimated_hours, created_at, tags, metadata) VALUES"
            " (gen_random_uuid(), 'amazon', 'marketplace-amazon', 't', '', 'analysis',"
            " 'pending', 'low', 1, '2000-01-01', '[]', '{}')"
            " RETURNING id, created_at = now(), recorded_by").fetchone()
        assert task is not None and task[1:] == (True, "marketplace-amazon")
        event = conn.execute(
            "INSERT INTO task_event (task_id, actor, action, to_status, at, payload) VALUES"
            " (%s, 'marketplace-amazon', 'create', 'pending', '2000-01-01', '{}')"
            " RETURNING at = now()", (task[0],)).fetchone()
        assert event == (True,)
        conn.rollback()
        # What the own-only attacks try on others' proposals, on its own pending one:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["agent"],))
        cancelled = conn.execute(
            f"UPDATE task SET status = 'cancelled', {_CANCEL} WHERE id = %s",
            (world["tasks"]["pending"],))
        assert cancelled.rowcount == 1
        conn.rollback()
    with psycopg.connect(world["app"]) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["admin"],))
        stamped = conn.execute(
            "UPDATE task SET status = 'approved', approved_by = 'root',"
            " approved_at = '2000-01-01' WHERE id = %s RETURNING approved_at = now()",
            (world["tasks"]["awaiting"],)).fetchone()
        assert stamped == (True,)
        conn.rollback()


#: The high half of the writers' floor locks (migration 0011).
FLOOR_LOCK = import_module("mpo.store.migrations.versions.0011_event_horizon").FLOOR_LOCK


def test_a_forged_event_floor_neither_lifts_the_lock_nor_the_readers_horizon(
        world: dict[str, Any]) -> None:
    """An app login may set `mpo.event_floor` (any role may set a custom setting): the
    trigger still locks at most the sequence's value, so another login's horizon stays
    below the event this open transaction holds."""
    with psycopg.connect(world["app"]) as writer, psycopg.connect(world["app"]) as reader:
        writer.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["agent"],))
        writer.execute("SET LOCAL mpo.event_floor = '2000000000'")
        task = writer.execute(_insert().format() + " RETURNING id").fetchone()
        assert task is not None
        event = writer.execute(_event("task", "create", None, "pending").format(task=task[0])
                               + " RETURNING id").fetchone()
        assert event is not None
        floors = writer.execute(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory'"
            " AND classid = %s AND objsubid = 1 AND pid = pg_backend_pid()",
            (FLOOR_LOCK,)).fetchall()
        assert floors and all(floor < event[0] for (floor,) in floors)
        reader.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["viewer"],))
        settled = reader.execute("SELECT settled FROM mpo_event_horizon()").fetchone()
        assert settled is not None and settled[0] < event[0]
        writer.rollback()


def test_a_principal_rotates_its_own_token_on_the_databases_clock(
        world: dict[str, Any]) -> None:
    with psycopg.connect(world["app"]) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["viewer"],))
        rotated = conn.execute(
            "UPDATE principal SET token_hash = md5('x') || md5('y'),"
            " token_rotated_at = '2000-01-01' WHERE name = 'vera'"
            " RETURNING token_rotated_at = now()").fetchone()
        assert rotated == (True,)
        conn.rollback()

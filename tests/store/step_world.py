"""A database for the raw-SQL attacks on subtask steps and on changes without their event:
the principals and tasks of test_attacks.py, plus checkpointed steps in each state.

Everything is set up through the core as the superuser (exempt from the guards), so the
rows and events are exactly what the app writes; the attackers are a login in `mpo_app`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases import identity
from mpo.core.usecases.subtasks import Step, add_subtask, take_step
from mpo.core.usecases.transitions import transition
from mpo.core.usecases.undo import undo
from mpo.store.database import SqlDatabase
from tests.migrated import upgrade
from tests.pg_app import app_login, conninfo, module_database
from tests.store.test_attacks import AMAZON, PARAMS, PATHS, PRINCIPALS, ROOT, _task

MASTER = Actor("marketplace-master", Role.MASTER)


def _step(db: SqlDatabase, task: str, *steps: Step) -> str:
    sub = str(add_subtask(db, MASTER, task, "analysis", "step").id)
    for step in steps:
        take_step(db, ROOT, step, sub, data={"skus": 1} if step is Step.SUBMIT else None)
    return sub


@contextmanager
def step_world() -> Iterator[dict[str, Any]]:
    """Principals, tasks in each state, steps in each state, and an app login's conninfo."""
    with module_database() as url:
        upgrade(url)
        db = SqlDatabase(url)
        tokens = {"admin": identity.bootstrap_admin(db, "root")}
        for key, (name, role, marketplace) in PRINCIPALS.items():
            tokens[key] = identity.add_principal(db, ROOT, name, role, marketplace,
                                                 Rules()).token
        identity.add_principal(db, ROOT, "bob", "member", None, Rules())
        tasks = {state: _task(db, AMAZON, path) for state, path in PATHS.items()}
        # approved once, then undone: its first approve event is an earlier transaction's
        tasks["undone"] = _task(db, AMAZON, PATHS["awaiting"])
        approved = transition(db, ROOT, Action.APPROVE, Selection(refs=(tasks["undone"],)),
                              PARAMS, Rules())
        undo(db, ROOT, str(approved.batch_id))
        tasks["working"] = _task(db, AMAZON, PATHS["approved"])  # step 1 waits, 2 pending
        tasks["idle"] = _task(db, AMAZON, PATHS["approved"])  # one pending step
        tasks["proposed"] = _task(db, AMAZON, ())  # nobody approved it; one pending step
        steps = {
            "waiting": _step(db, tasks["working"], Step.START, Step.SUBMIT),
            "second": _step(db, tasks["working"]),
            "idle": _step(db, tasks["idle"]),
            "proposed": _step(db, tasks["proposed"]),
        }
        with app_login(url) as app_url:
            yield {"url": url, "app": conninfo(app_url), "tokens": tokens, "tasks": tasks,
                   "steps": steps, "names": {k: v[0] for k, v in PRINCIPALS.items()}
                   | {"admin": "root"}}


def snapshot(world: dict[str, Any]) -> list[list[tuple[Any, ...]]]:
    """Every row an attack could touch, to compare before and after."""
    with psycopg.connect(conninfo(world["url"])) as conn:
        return [conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("task", "task_event", "subtask", "principal")]


def attempt(world: dict[str, Any], role: str, sql: str) -> psycopg.Error | int:
    """Run `sql` (statements split on ';') as `role`, then COMMIT: the error raised by a
    statement or by the commit (where deferred checks run), or how many rows it touched."""
    placeholders = {**world["tasks"], **{f"step_{k}": v for k, v in world["steps"].items()}}
    with psycopg.connect(world["app"]) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"][role],))
        touched = 0
        try:
            for statement in sql.format(**placeholders).split(";"):
                touched += max(conn.execute(statement).rowcount, 0)
            conn.commit()
        except psycopg.Error as exc:
            conn.rollback()
            return exc
        return touched

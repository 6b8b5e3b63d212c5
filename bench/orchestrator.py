"""Benchmark issue 13's batch use cases in-process on one database: create N proposals,
submit them, read `mpo status`, expire them all as one batch, undo that batch, approve
them, and route them round-robin. Prints seconds and tasks per second; asserts nothing.

    python bench/orchestrator.py                      # 2,000 tasks in /tmp/mpo-bench-orch.db
    python bench/orchestrator.py --tasks 10000 --db postgresql+psycopg://postgres@127.0.0.1/b
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.routing_rules import parse_rules
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.expiry import expire
from mpo.core.usecases.routing import route
from mpo.core.usecases.status import status
from mpo.core.usecases.transitions import transition
from mpo.core.usecases.undo import undo
from mpo.store.database import SqlDatabase
from mpo.store.migrate import upgrade

ADMIN = Actor("bench-admin", Role.ADMIN)
RULES = Rules()
ROUTING = parse_rules("routing", [{"name": "all", "assignees": ["ana", "bea", "cy", "dora"]}],
                      {"team": ("ana", "bea", "cy", "dora")})


def timed(label: str, count: int, step: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    print(f"{label:<22} {seconds:8.3f} s  {count / seconds:10.0f} tasks/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--db", default="sqlite:////tmp/mpo-bench-orch.db")
    args = parser.parse_args()
    if args.db.startswith("sqlite:///"):
        Path(args.db.removeprefix("sqlite:///")).unlink(missing_ok=True)
    upgrade(args.db)
    db, n = SqlDatabase(args.db), args.tasks
    items = [("task", {"marketplace": "amazon", "title": f"bench {i}", "category": "analysis",
                       "estimated_hours": 2, "created_by": "marketplace-amazon"})
             for i in range(n)]
    every = Selection(all=True)
    params = TransitionParams()
    timed("create", n, lambda: create_tasks(db, ADMIN, items, RULES))
    timed("submit --all", n, lambda: transition(
        db, ADMIN, Action.SUBMIT, every, params, RULES))
    timed("status", n, lambda: status(db, ADMIN))
    expired = timed("expire --older-than 0h", n,
                    lambda: expire(db, ADMIN, RULES, older_than="0h"))
    timed("undo (the expiry)", n, lambda: undo(db, ADMIN, str(expired.batch_id)))
    approved = timed("approve --all", n, lambda: transition(
        db, ADMIN, Action.APPROVE, every, params, RULES))
    timed("route (round-robin)", n, lambda: route(db, ADMIN, ROUTING,
                                                  task_ids=approved.task_ids))


if __name__ == "__main__":
    main()

"""Executors claiming and completing approved tasks: throughput, claim latency, exactly once.

For each database (SQLite; PostgreSQL through a login in `mpo_app`, so row-level security and
the write guards apply), with N approved tasks and E executor processes, each a member with
its own token, looping `claim` then `complete` through the core's use cases:

1. all executors run to the end: tasks per second, p50/p95 claim latency, and the checks:
   0 double claims (no task in two executors' logs, one `claim` event each), 0 lost tasks
   (every task completed, one `complete` event each);
2. the same with N fresh tasks, a short lease and a little work per task, and `kill -9` of
   half the executors once a third of the tasks are done: every task they held comes back
   (`lease_expired`) after its lease and is completed exactly once by a survivor.

    python bench/claim.py [--tasks 10000] [--executors 8] [--db sqlite,postgres]
                          [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Run small on a shared machine (`--tasks 500`). Prints one line per measure; exits 1 when a
check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def worker(url: str, name: str, token: str, log: Path, lease: float, work: float,
           patience: float) -> None:
    """One executor: claim, (work), complete, until nothing is left within `patience`."""
    from mpo.core.domain.errors import Conflict, DatabaseError, NotFound, PermissionDenied, TimedOut
    from mpo.core.domain.lifecycle import TransitionParams
    from mpo.core.domain.permissions import Actor, Role
    from mpo.core.domain.selection import Selection
    from mpo.core.domain.validation import Rules
    from mpo.core.domain.vocabulary import Action
    from mpo.core.usecases.claims import claim, claim_query
    from mpo.core.usecases.transitions import transition
    from mpo.store.database import SqlDatabase

    db, actor, rules = SqlDatabase(url, token=token), Actor(name, Role.MEMBER), Rules()
    query = claim_query(rules, actor)
    done = TransitionParams(actual_hours=1.0)
    with log.open("a", buffering=1) as out, db.waker() as waker:
        while True:
            started = time.perf_counter()
            try:
                task = claim(db, actor, query, lease=lease, wait=patience or None,
                             waker=waker)
            except (NotFound, TimedOut):
                return
            except DatabaseError:  # busy past the timeout (exit 6): an executor retries
                out.write("busy\n")
                continue
            out.write(f"claimed {task.id} {time.perf_counter() - started:.6f}\n")
            if work:
                time.sleep(work)
            while True:
                try:
                    transition(db, actor, Action.COMPLETE, Selection(refs=(str(task.id),)),
                               done, rules)
                    out.write(f"completed {task.id}\n")
                    break
                except DatabaseError:
                    out.write("busy\n")
                except (Conflict, PermissionDenied):  # its lease ran out: refused, as it must
                    out.write(f"lost {task.id}\n")
                    break


def _setup(url: str, tasks: int, executors: int) -> dict[str, str]:
    """Migrate, add root, the proposing agent and the executors; returns their tokens."""
    from mpo.core.domain.permissions import Actor, Role
    from mpo.core.domain.validation import Rules
    from mpo.core.usecases import identity
    from mpo.store.database import SqlDatabase
    from mpo.store.migrate import upgrade

    upgrade(url)
    db = SqlDatabase(url)
    root = Actor("root", Role.ADMIN)
    tokens = {"root": identity.bootstrap_admin(db, "root") or ""}
    identity.add_principal(db, root, "marketplace-amazon", "agent", "amazon", Rules())
    for n in range(executors):
        tokens[f"x{n}"] = identity.add_principal(db, root, f"x{n}", "member", None,
                                                 Rules()).token
    return tokens


def _approve(url: str, count: int) -> set[str]:
    """`count` new approved tasks (created by the agent, approved by root)."""
    from mpo.core.domain.lifecycle import TransitionParams
    from mpo.core.domain.permissions import Actor, Role
    from mpo.core.domain.selection import Selection
    from mpo.core.domain.validation import Rules
    from mpo.core.domain.vocabulary import Action
    from mpo.core.usecases.create import create_tasks
    from mpo.core.usecases.transitions import transition
    from mpo.store.database import SqlDatabase

    db = SqlDatabase(url)
    agent = Actor("marketplace-amazon", Role.AGENT, "amazon")
    items = [("t", {"marketplace": "amazon", "title": f"bench {n}", "category": "analysis",
                    "estimated_hours": 1}) for n in range(count)]
    made = {str(c.task.id) for c in create_tasks(db, agent, items, Rules()).tasks}
    root = Actor("root", Role.ADMIN)
    for action in (Action.SUBMIT, Action.APPROVE):
        transition(db, root, action, Selection(refs=tuple(sorted(made))), TransitionParams(),
                   Rules(), skip_invalid=False)
    return made


def _run(url: str, app_url: str, tokens: dict[str, str], executors: int, logs: Path,
         lease: float, work: float, kill_after: int | None) -> tuple[float, list[int]]:
    # Without kills nothing comes back: an executor stops when nothing is free. With
    # kills, it waits for lost leases (a little longer than one).
    patience = 0.0 if kill_after is None else lease + 5
    """Start the executors (killing half once `kill_after` tasks are done); wall seconds
    and the indexes of those killed."""
    procs = []
    for n in range(executors):
        log = logs / f"x{n}.log"
        log.write_text("")
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--worker", app_url, f"x{n}", tokens[f"x{n}"], str(log),
             str(lease), str(work), str(patience)]))
    started = time.perf_counter()
    killed: list[int] = []
    while any(p.poll() is None for p in procs):
        if kill_after is not None and not killed:
            done = sum(f.read_text().count("completed ") for f in logs.glob("x*.log"))
            if done >= kill_after:
                killed = list(range(0, executors, 2))
                for n in killed:
                    os.kill(procs[n].pid, signal.SIGKILL)
        time.sleep(0.05)
    for p in procs:
        if p.returncode not in (0, -signal.SIGKILL):
            sys.exit(f"an executor failed with {p.returncode}")
    return time.perf_counter() - started, killed


def _events(url: str, tasks: set[str]) -> tuple[Counter[tuple[str, str]], dict[str, str]]:
    """(task, action) counts of the run's tasks, and each task's status."""
    from sqlalchemy import text

    from mpo.store.database import SqlDatabase

    db = SqlDatabase(url)
    with db.engine.connect() as conn:
        events = Counter((str(uuid.UUID(str(t))), a) for t, a in conn.execute(
            text("SELECT task_id, action FROM task_event")))
        status = {str(uuid.UUID(str(t))): s for t, s in conn.execute(
            text("SELECT id, status FROM task"))}
    return Counter({k: v for k, v in events.items() if k[0] in tasks}), status


def _logs(logs: Path, only: list[int] | None = None
          ) -> tuple[list[str], list[str], list[float], int, list[str]]:
    claimed, completed, latency, busy, lost = [], [], [], 0, []
    for f in sorted(logs.glob("x*.log")):
        if only is not None and int(f.stem[1:]) not in only:
            continue
        for line in f.read_text().splitlines():
            parts = line.split()
            if parts[0] == "claimed" and len(parts) == 3:
                claimed.append(parts[1])
                latency.append(float(parts[2]))
            elif parts[0] == "completed" and len(parts) == 2:
                completed.append(parts[1])
            elif parts[0] == "busy":
                busy += 1
            elif parts[0] == "lost":
                lost.append(parts[1])
    return claimed, completed, latency, busy, lost


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


def bench(kind: str, url: str, app_url: str, args: argparse.Namespace) -> bool:
    ok = True
    tokens = _setup(url, args.tasks, args.executors)
    with tempfile.TemporaryDirectory(prefix="mpo-bench-claim-") as tmp:
        logs = Path(tmp)
        tasks = _approve(url, args.tasks)
        wall, _ = _run(url, app_url, tokens, args.executors, logs, 60.0, 0.0, None)
        claimed, _, latency, busy, late = _logs(logs)
        events, status = _events(url, tasks)
        doubles = len(claimed) - len(set(claimed)) + sum(
            1 for t in tasks if events[(t, "claim")] != 1)
        lost = sum(1 for t in tasks if status.get(t) != "completed"
                   or events[(t, "complete")] != 1)
        print(json.dumps({"db": kind, "phase": "run", "tasks": len(tasks),
                          "executors": args.executors, "tasks_per_s": round(len(tasks) / wall, 1),
                          "claim_p50_ms": round(_pct(latency, 0.5) * 1000, 2),
                          "claim_p95_ms": round(_pct(latency, 0.95) * 1000, 2),
                          "busy_retries": busy, "late_reports_refused": len(late),
                          "double_claims": doubles,
                          "lost_tasks": lost}))
        ok &= doubles == 0 and lost == 0
        for f in logs.glob("x*.log"):
            f.unlink()
        tasks = _approve(url, args.tasks)
        wall, killed = _run(url, app_url, tokens, args.executors, logs, args.lease,
                            args.work_ms / 1000, args.tasks // 3)
        claimed, completed, _, _, _ = _logs(logs, killed)
        late = _logs(logs)[4]
        held = set(claimed) - set(completed)
        events, status = _events(url, tasks)
        lost = sum(1 for t in tasks if status.get(t) != "completed"
                   or events[(t, "complete")] != 1)
        unreturned = sum(1 for t in held if status.get(t) != "completed"
                         or (events[(t, "complete")] == 1 and events[(t, "lease_expired")] < 1
                             and events[(t, "claim")] > 1))
        print(json.dumps({"db": kind, "phase": "kill -9", "tasks": len(tasks),
                          "killed": len(killed), "held_when_killed": len(held),
                          "returned": sum(1 for t in held if events[(t, "lease_expired")]),
                          "seconds": round(wall, 1), "lost_tasks": lost,
                          "late_reports_refused": len(late),
                          "completed_twice": sum(1 for t in tasks
                                                 if events[(t, "complete")] > 1),
                          "unreturned": unreturned}))
        ok &= lost == 0 and unreturned == 0
    return ok


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, name, token, log, lease, work, patience = sys.argv[2:9]
        worker(url, name, token, Path(log), float(lease), float(work), float(patience))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--executors", type=int, default=8)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=os.environ.get("MPO_BENCH_PG_URL", PG_URL))
    parser.add_argument("--lease", type=float, default=3.0,
                        help="seconds of the kill phase's leases")
    parser.add_argument("--work-ms", type=float, default=5.0,
                        help="work per task in the kill phase")
    args = parser.parse_args()
    ok = True
    for kind in args.db.split(","):
        if kind == "sqlite":
            with tempfile.TemporaryDirectory(prefix="mpo-bench-claim-db-") as home:
                url = f"sqlite:///{home}/mpo.db"
                ok &= bench(kind, url, url, args)
        else:
            ok &= _postgres(args)
    sys.exit(0 if ok else 1)


def _postgres(args: argparse.Namespace) -> bool:
    """A fresh database and an app login in `mpo_app` for the run (both dropped after)."""
    import psycopg

    server = args.pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"mpo_bench_claim_{uuid.uuid4().hex[:8]}"
    role = f"mpo_bench_{uuid.uuid4().hex[:8]}"
    base, _, _ = server.rpartition("/")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    try:
        _setup_roles(url, role)
        user = url.split("://", 1)[1].split("@", 1)[0]
        app_url = url.replace(f"{user}@", f"{role}@", 1)
        return bench("postgres", url, app_url, args)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def _setup_roles(url: str, role: str) -> Any:
    """Migrate first (it makes `mpo_app`), then a login in it."""
    import psycopg

    from mpo.store.migrate import upgrade

    upgrade(url)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1),
                         autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE mpo_app')


if __name__ == "__main__":
    main()

"""`mpo serve` creating tasks under an independent load generator (`hey`), next to the
floor PostgreSQL itself reaches on this machine (`pgbench`: one transaction inserting a task
row and its event row). Issue 26's targets, on a 2-core machine:

- PostgreSQL (an `mpo_app` login, `--workers 2`): >= 600 creates/s, p95 <= 50 ms, and
  >= 10 % of the pgbench floor measured in the same run;
- SQLite (one worker): >= 800 creates/s, p95 <= 30 ms.

Each phase waits (up to 4 min) for the load to fall under 1 first. Installs hey and
pgbench (Debian packages hey and postgresql-client) when missing. Prints figures, ratios
and the load average before and after; the same hey against a bare FastAPI route (the HTTP
floor of this stack); on SQLite the same create through the library in one thread (the
use case's own cost); and where the CPU goes per request (the server,
PostgreSQL, hey: `cpu_budget`) with the ceiling that cost allows on this machine; with
`--profile`, one more run under py-spy and the server's busiest functions. Asserts nothing.

    python bench/serve_hey.py [--seconds 20] [--sqlite-only] [--profile]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
import cpu_budget
from serve import BODY, CLIENTS, _server, _tokens, app_database

#: The targets of issue 26, creates per second: SQLite (one worker), PostgreSQL (two).
TARGETS = {1: 800.0, 2: 600.0}

#: The HTTP floor: FastAPI on uvicorn as `mpo serve` runs it (one worker, no access log), one
#: sync route taking the same body into a pydantic model and answering 201 with it, no
#: database: what any Python server of this stack costs per request on this machine.
BARE_APP = """
import sys
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

class Body(BaseModel):
    marketplace: str
    title: str
    description: str = ""
    category: str
    priority: str = "medium"
    estimatedHours: float
    createdBy: str | None = None

app = FastAPI()

@app.post("/api/orchestration/tasks", status_code=201)
def create(body: Body) -> dict[str, object]:
    return {"success": True, "task": body.model_dump()}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=False,
            log_level="warning")
"""
PGBENCH_SCRIPT = "\n".join([
    "\\set n random(1, 1000000000)",
    "WITH t AS (INSERT INTO task (id, marketplace, created_by, title, description, category, "
    "status, priority, estimated_hours, created_at, tags, metadata) VALUES (gen_random_uuid(), "
    "'amazon', 'marketplace-amazon', 'Rewrite GEO titles ' || :n, 'pgbench', 'optimization', "
    "'pending', 'high', 4, now(), '[]', '{}') RETURNING id) "
    "INSERT INTO task_event (task_id, batch_id, actor, action, from_status, to_status, at, "
    "payload) SELECT id, gen_random_uuid(), 'marketplace-amazon', 'create', NULL, 'pending', "
    "now(), '{}' FROM t;", ""])


def _install(command: str, package: str) -> str:
    found = shutil.which(command)
    if found is None:
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", package], check=True,
                       stdout=subprocess.DEVNULL)
        found = shutil.which(command)
    if found is None:
        sys.exit(f"{command} is missing and could not be installed (apt-get install {package})")
    return found


def _hey(base: str, token: str, seconds: float) -> tuple[float, float, str, float]:
    """Requests per second, p95 in ms, the status-code line of one hey run, and the CPU
    seconds hey itself spent."""
    import json

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [_install("hey", "hey"), "-z", f"{seconds}s", "-c", str(CLIENTS), "-m", "POST",
         "-T", "application/json", "-H", f"Authorization: Bearer {token}",
         "-d", json.dumps(BODY), f"{base}/api/orchestration/tasks"],
        capture_output=True, text=True, check=True)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]
    p95 = float(re.search(r"95% in ([\d.]+) secs", done.stdout).group(1)) * 1000  # type: ignore[union-attr]
    codes = re.search(r"Status code distribution:\s*\n((?:\s+\[\d+\].*\n)+)", done.stdout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return rate, p95, " ".join((codes.group(1) if codes else "?").split()), spent


def _load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def _settle(limit: float = 1.0, patience: float = 240.0) -> str:
    """Wait (at most `patience` s) for the 1-minute load to fall under `limit`, so that each
    phase starts on a quiet machine and not on the previous phase's load; the load then."""
    deadline = time.monotonic() + patience
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(5)
    return _load()


def _pid(base: str) -> int:
    """The `mpo serve` process listening at `base` (the parent of its workers)."""
    port = base.rsplit(":", 1)[1]
    found = subprocess.run(["pgrep", "-o", "-f", f"mpo serve --port {port} "],
                           capture_output=True, text=True, check=True)
    return int(found.stdout.split()[0])


def _serve(name: str, url: str, token: str, home: Path, workers: int, seconds: float,
           profile: bool) -> float:
    with _server(url, home, workers) as base:
        _hey(base, token, 2)  # warm up: pools, imports, caches
        server = _pid(base)
        before = _settle()
        with cpu_budget.measure(server, postgres=not url.startswith("sqlite")) as budget:
            rate, p95, codes, hey_cpu = _hey(base, token, seconds)
        budget.parts["hey"] = hey_cpu
        after = _load()
        if profile:
            _settle()
            with cpu_budget.profiled(server, seconds) as raw:
                _hey(base, token, seconds)
    print(f"{name}, --workers {workers}, hey -c {CLIENTS}: {rate:.0f} creates/s, p95 "
          f"{p95:.1f} ms ({codes}) [{before} before, {after} after]")
    print(f"  {budget.line(rate * seconds, TARGETS[workers], workers)}")
    if profile:
        if raw is None:
            print("  profile: skipped: py-spy is not installed (python -m pip install py-spy)")
        else:
            print(f"  py-spy, the server's {seconds:.0f} s under the same load (only the thread "
                  "holding the GIL sampled: where Python spends its CPU; inclusive share):")
            print("\n".join(f"    {line}" for line in cpu_budget.top(raw)))
    return rate


def _pgbench(conninfo: str, seconds: float, plain: bool) -> float:
    """Transactions per second into mpo's tables (triggers and all) or, `plain`, into
    copies with the same columns and indexes and no triggers."""
    sql = PGBENCH_SCRIPT
    if plain:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for table in ("task", "task_event"):
                conn.execute(f"CREATE TABLE IF NOT EXISTS plain_{table} "
                             f"(LIKE {table} INCLUDING ALL)")
        sql = sql.replace("INTO task ", "INTO plain_task ").replace(
            "INTO task_event ", "INTO plain_task_event ")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(sql)
    done = subprocess.run(
        [_install("pgbench", "postgresql-client"), "-n", "-c", str(CLIENTS), "-j", "2",
         "-T", str(int(seconds)), "-f", script.name, conninfo],
        capture_output=True, text=True, check=False)
    os.unlink(script.name)
    if done.returncode != 0:
        sys.exit(f"pgbench failed: {done.stderr.strip()[-800:]}")
    return float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]


def _bare(seconds: float) -> None:
    """The HTTP floor (`BARE_APP`) under the same hey run."""
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", BARE_APP, str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        _hey(base, "none", 2)
        before = _settle()
        with cpu_budget.measure(server.pid, postgres=False) as budget:
            rate, p95, codes, hey_cpu = _hey(base, "none", seconds)
        budget.parts["hey"] = hey_cpu
        print(f"HTTP floor (bare FastAPI route, same body, no database), --workers 1, hey -c "
              f"{CLIENTS}: {rate:.0f} requests/s, p95 {p95:.1f} ms ({codes}) [{before} before, "
              f"{_load()} after]")
        print(f"  {budget.line(rate * seconds, TARGETS[1], 1)}")
    finally:
        server.terminate()
        server.wait()


def _in_process(url: str, token: str, calls: int = 2000) -> None:
    """The same create through the library, in one thread, no HTTP: CPU ms per call of the
    authentication alone and of authentication plus the create use case (each call its
    own transaction and COMMIT, where a server's concurrent calls share one)."""
    from mpo.core.domain.validation import Rules
    from mpo.core.usecases.create import create_tasks
    from mpo.core.usecases.identity import authenticate
    from mpo.store.database import SqlDatabase

    db, rules = SqlDatabase.shared(url), Rules()

    def auth() -> None:
        authenticate(db.acting(token), token)

    def create() -> None:
        acting = db.acting(token)
        create_tasks(acting, authenticate(acting, token), [("task", dict(BODY))], rules)

    before = _settle()
    spent = {}
    for name, call in (("authenticate", auth), ("authenticate + create_tasks", create)):
        for _ in range(calls // 10):  # warm up
            call()
        start = os.times()
        for _ in range(calls):
            call()
        end = os.times()
        spent[name] = (end.user - start.user + end.system - start.system) / calls * 1000
    db.engine.dispose()
    print(f"in process (the library, one thread, no HTTP; {calls} calls each): " + ", ".join(
        f"{name} {ms:.2f} ms CPU" for name, ms in spent.items()) + f" [{before} before]")


def _postgres(home: Path, seconds: float, profile: bool) -> None:
    with app_database() as (owner, app, token):
        rate = _serve("postgresql (mpo_app login)", app, token, home, 2, seconds, profile)
        for plain, what in ((True, "plain tables, same indexes, no triggers"),
                            (False, "mpo's tables with their guards, as the owner")):
            before = _settle()
            floor = _pgbench(owner.replace("postgresql+psycopg://", "postgresql://", 1),
                             seconds, plain)
            print(f"pgbench floor ({what}; {CLIENTS} clients, task + event per transaction): "
                  f"{floor:.0f} tps [{before} before, {_load()} after]; mpo serve = "
                  f"{rate / floor:.1%} of it (target >= 10 % of the plain floor)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="one more run per phase under py-spy: the server's busiest frames")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; {_load()} at the start")
    with tempfile.TemporaryDirectory(prefix="mpo-bench-hey-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'mpo.db'}"
        _bare(args.seconds)
        token = _tokens(url)
        _serve("sqlite", url, token, home, 1, args.seconds, args.profile)
        _in_process(url, token)
        if not args.sqlite_only and os.environ.get("MPO_TEST_DATABASE_URL"):
            _postgres(home, args.seconds, args.profile)


if __name__ == "__main__":
    main()

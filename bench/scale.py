"""Scale bench (issue 25): several `mpo serve` processes on one PostgreSQL through PgBouncer,
agents creating and admins deciding at 100x the seed's target (500,000 tasks a day).

One run: a fresh database and an `mpo_app` login (dropped after), a PgBouncer of its own in
transaction mode in front of it, three servers (`--servers`) on the pooler, with a direct
URL for LISTEN when this mpo has the `listen_database_url` setting. Agents create and submit
(`POST /api/v1/tasks?submit=true`), an admin per server lists what awaits a decision in its
marketplaces and approves or rejects it in batches, assigns a share of the approved work to
a member and hands the member another share to start; members complete their work in
progress. The creates go as fast as the servers answer, or at `--rate` creates/s.

Prints throughput (overall, per endpoint, per server), p50/p95/p99 per endpoint, every
error (there should be none), the database's size per million tasks (per table,
extrapolated from the run's growth), the slowest statements (pg_stat_statements, or
auto_explain when the server does not preload it) and pg_stat_user_tables, the CPU time of
servers, database, pooler and load generator, and PgBouncer's own figures; the load average
at the start and end beside each figure. Asserts nothing; exits 1 when a request failed.

    python bench/scale.py                 # 300 s (the issue asks for five minutes at least)
    python bench/scale.py --seconds 20    # a quick check
    python bench/scale.py --rate 100 --seconds 60 --pg-url postgresql+psycopg://...

Needs a superuser URL (MPO_TEST_DATABASE_URL or --pg-url) and Debian's pgbouncer and
postgresql-client (installed when missing). Ctrl-C stops it and cleans up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).parent))
import cpu_budget
import scale_pg
from scale_load import Plan, Tally, drive
from serve import _server
from serve_hey import _install

from mpo.config import env as mpo_env
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import DEFAULT_MARKETPLACES, agent_name
from mpo.core.usecases.identity import add_principal, authenticate, bootstrap_admin
from mpo.store.database import SqlDatabase

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: 100x the seed's 5,000 tasks a day.
TARGET_PER_DAY = 500_000
TARGET = TARGET_PER_DAY / 86_400
#: A database's size, and its tables' sizes and rows (scale_pg.sizes).
Sizes = tuple[int, dict[str, int], dict[str, int]]


def _people(url: str, servers: int) -> dict[str, Any]:
    """An agent per marketplace, and an admin and a member per server: their tokens."""
    db = SqlDatabase(url)
    token = bootstrap_admin(db, "root")
    assert token is not None
    root, rules = authenticate(db, token), Rules()

    def add(name: str, role: str, marketplace: str | None = None) -> str:
        return add_principal(db, root, name, role, marketplace, rules).token

    people = {"agents": {m: add(agent_name(m), "agent", m) for m in DEFAULT_MARKETPLACES},
              "admins": [add(f"admin{n}", "admin") for n in range(servers)],
              "members": [(f"member{n}", add(f"member{n}", "member")) for n in range(servers)]}
    db.engine.dispose()
    return people


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


class Cpu:
    """CPU seconds of the run's parts between `start` and `stop`, from /proc."""

    def __init__(self, database: str, bases: list[str], pooler: int) -> None:
        self.database, self.pooler = database, pooler
        self.ports = [base.rpartition(":")[2] for base in bases]
        self.begin: dict[str, dict[int, float]] = {}
        self.end: dict[str, dict[int, float]] = {}

    def _parts(self) -> dict[str, dict[int, float]]:
        ours = cpu_budget.tree(os.getpid())
        servers = []
        for pid in ours:
            try:
                line = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in line and any(p.encode() in line for p in self.ports):
                servers += cpu_budget.tree(pid)
        me = resource.getrusage(resource.RUSAGE_SELF)
        return {"mpo serve (all)": scale_pg.cpu_seconds(servers),
                "PostgreSQL backends": scale_pg.cpu_seconds(scale_pg.backends(self.database)),
                "PgBouncer": scale_pg.cpu_seconds([self.pooler]),
                "load generator": {0: me.ru_utime + me.ru_stime}}

    def start(self) -> None:
        self.begin = self._parts()

    def stop(self) -> None:
        self.end = self._parts()

    def seconds(self) -> dict[str, float]:
        return {part: sum(t - self.begin.get(part, {}).get(pid, 0.0) for pid, t in pids.items())
                for part, pids in self.end.items()}


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        only = values[0] if values else 0.0
        return only, only, only
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def _report_http(tally: Tally, elapsed: float, load: str, bases: list[str]) -> None:
    requests = sum(len(v) for v in tally.latencies.values())
    created = tally.tasks["POST /api/v1/tasks?submit=true"]
    decided = tally.tasks["POST /api/v1/tasks/approve"] + tally.tasks["POST /api/v1/tasks/reject"]
    rate = created / elapsed if elapsed else 0.0
    print(f"\n== throughput over {elapsed:.1f} s ==")
    print(f"requests: {requests} = {requests / elapsed:.0f}/s  {load}")
    print(f"tasks created and submitted: {created} = {rate:.1f}/s = {rate / TARGET:.1f}x the "
          f"100x target ({TARGET_PER_DAY:,}/day = {TARGET:.2f}/s); a day of it in "
          f"{TARGET_PER_DAY / rate / 60 if rate else float('inf'):.0f} min  {load}")
    print(f"tasks decided: {decided} = {decided / elapsed:.1f}/s ({decided / max(created, 1):.0%}"
          f" of the creates); completed: {tally.tasks['POST /api/v1/tasks/complete']}  {load}")
    print(f"\n{'endpoint':<34}{'requests':>9}{'req/s':>8}{'tasks/s':>9}"
          f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for endpoint in sorted(tally.latencies):
        values = tally.latencies[endpoint]
        p50, p95, p99 = _percentiles(values)
        print(f"{endpoint:<34}{len(values):>9}{len(values) / elapsed:>8.1f}"
              f"{tally.tasks[endpoint] / elapsed:>9.1f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}  {load}")
    shares = ", ".join(f"{tally.servers[b] / max(requests, 1):.0%}" for b in bases)
    print(f"requests per server: {shares}  {load}")
    if tally.errors:
        print(f"\nERRORS: {sum(tally.errors.values())}")
        for (endpoint, what), count in tally.errors.most_common():
            print(f"  {count:>6} {endpoint}: {what}")
        for sample in tally.samples:
            print(f"  e.g. {sample}")
    else:
        print("errors: none")


def _report_logs(logs: list[Path]) -> None:
    """The servers' tracebacks: how many, and the last line of each kind."""
    kinds: dict[str, int] = {}
    for log in logs:
        lines = log.read_text(errors="replace").splitlines()
        for n, line in enumerate(lines):
            if line.startswith("Traceback"):
                end = next((lines[k] for k in range(n + 1, len(lines))
                            if lines[k] and not lines[k].startswith((" ", "\t"))), "?")
                kinds[end[:200]] = kinds.get(end[:200], 0) + 1
    for kind, count in sorted(kinds.items(), key=lambda item: -item[1]):
        print(f"  server log: {count} x {kind}")


def _report_sizes(before: Sizes, written: Sizes, live: Sizes, load: str) -> None:
    """Growth per million tasks as written (dead row versions of the updates included,
    which autovacuum lets PostgreSQL reuse) and after VACUUM FULL (live rows only): a
    database kept by autovacuum settles in between."""
    tasks, events = live[2].get("task", 0), live[2].get("task_event", 0)
    print(f"\n== database size per million tasks ({tasks} tasks, {events} events = "
          f"{events / max(tasks, 1):.1f} per task) ==")
    if not tasks:
        return
    per = 1_000_000 / tasks / 2**30
    print(f"{'':<24}{'as written':>12}{'VACUUM FULL':>13}  (GiB per million tasks)")
    print(f"{'pg_database_size':<24}{(written[0] - before[0]) * per:>12.2f}"
          f"{(live[0] - before[0]) * per:>13.2f}  (catalogs too)  {load}")
    grown = {t: written[1][t] - before[1].get(t, 0) for t in written[1]}
    kept = {t: live[1][t] - before[1].get(t, 0) for t in live[1]}
    print(f"{'tables (sum)':<24}{sum(grown.values()) * per:>12.2f}"
          f"{sum(kept.values()) * per:>13.2f}  {load}")
    for table in sorted(written[1], key=lambda t: before[1].get(t, 0) - written[1][t]):
        if grown[table] > 0:
            print(f"  {table:<22}{grown[table] * per:>12.2f}{kept.get(table, 0) * per:>13.2f}"
                  f"  ({live[2].get(table, 0)} rows)")


def _report_database(times: scale_pg.QueryTimes, cpu: dict[str, float], elapsed: float,
                     requests: int, bouncer: dict[str, int], load: str) -> None:
    print(f"\n== slowest statements ({times.why}) ==")
    print("\n".join(times.slowest(10)) or "none over the threshold")
    print(f"\n{'pg_stat_user_tables':<24}{'seq_scan':>9}{'seq_tup_read':>13}{'idx_scan':>10}"
          f"{'ins':>9}{'upd':>9}{'hot_upd':>9}{'dead':>9}")
    print("\n".join(times.tables()))
    stats = times.database()
    hits = stats.get("blks_hit", 0) / max(1, stats.get("blks_hit", 0) + stats.get("blks_read", 0))
    print(f"pg_stat_database: {stats.get('xact_commit', 0)} commits, "
          f"{stats.get('xact_rollback', 0)} rollbacks, {stats.get('deadlocks', 0)} deadlocks, "
          f"cache hits {hits:.2%}  {load}")
    cores = os.cpu_count() or 1
    print(f"\n== CPU over the {elapsed:.1f} s ({cores} cores = {cores * elapsed:.0f} CPU s) ==")
    for part, seconds in cpu.items():
        print(f"  {part:<22}{seconds:>8.1f} CPU s = {seconds / elapsed:.2f} cores, "
              f"{seconds * 1000 / max(requests, 1):.1f} ms per request  {load}")
    ratio = cpu["PostgreSQL backends"] / max(cpu["mpo serve (all)"], 1e-9)
    print(f"  PostgreSQL / mpo serve: {ratio:.2f} (the bench database's backends only: not "
          f"the WAL writer, checkpointer or autovacuum)  {load}")
    if bouncer:
        count = max(1, bouncer.get("total_xact_count", 0))
        print(f"PgBouncer: {bouncer.get('total_xact_count', 0)} transactions, average "
              f"{bouncer.get('total_xact_time', 0) / count / 1000:.2f} ms in the server, "
              f"{bouncer.get('total_wait_time', 0) / count / 1000:.2f} ms waiting for a server "
              f"connection  {load}")


def _stop(*_: Any) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="measured run length")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured run first")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="creates per second in all (default 0: as fast as it goes)")
    parser.add_argument("--servers", type=int, default=3, choices=range(1, 7))
    parser.add_argument("--workers", type=int, default=1, help="worker processes per server")
    parser.add_argument("--clients", type=int, default=4, help="agent connections per server")
    parser.add_argument("--batch", type=int, default=50, help="tasks per decision call")
    parser.add_argument("--reject", type=float, default=0.1, help="share rejected")
    parser.add_argument("--assign", type=float, default=0.25, help="share of approved assigned")
    parser.add_argument("--start", type=float, default=0.25, help="share of approved started")
    parser.add_argument("--pool", type=int, default=20, help="PgBouncer's server connections")
    parser.add_argument("--direct", action="store_true",
                        help="servers connect to PostgreSQL directly, not through PgBouncer")
    parser.add_argument("--slow-ms", type=float, default=10.0,
                        help="auto_explain's threshold (without pg_stat_statements)")
    parser.add_argument("--pg-url", default=os.environ.get("MPO_TEST_DATABASE_URL", PG_URL))
    parser.add_argument("--own-server", action="store_true",
                        help="run on a throwaway PostgreSQL cluster that preloads "
                        "pg_stat_statements, instead of --pg-url's server")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _stop)
    # Ctrl-C, even when started in the background by a shell (which ignores SIGINT there).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _install("pgbouncer", "pgbouncer")
    _install("psql", "postgresql-client")
    listen = getattr(mpo_env, "LISTEN_DATABASE_URL", None)
    print(f"{os.cpu_count()} CPUs; load average {_load()} at the start; {args.servers} servers "
          f"x {args.workers} worker(s), {args.clients * args.servers} agent connections, "
          f"creates {'at ' + str(args.rate) + '/s' if args.rate else 'as fast as they go'}")
    try:
        with ExitStack() as stack:
            failed = _run(stack, args, listen)
    except KeyboardInterrupt:
        sys.exit("interrupted: servers, PgBouncer, the database and the login are gone")
    sys.exit(1 if failed else 0)


def _run(stack: ExitStack, args: argparse.Namespace, listen: str | None) -> bool:
    """The whole run inside `stack`, which stops and drops what it made; True on errors."""
    if args.own_server:
        args.pg_url = stack.enter_context(scale_pg.own_server())
    database, role, password = stack.enter_context(scale_pg.fresh_database(args.pg_url))
    where = urlsplit(args.pg_url)
    host, port = where.hostname or "127.0.0.1", where.port or 5432
    owner = f"{args.pg_url.rpartition('/')[0]}/{database}"
    people = _people(owner, args.servers)
    times = scale_pg.QueryTimes(args.pg_url, database, role, args.slow_ms)
    before = scale_pg.sizes(scale_pg.plain(owner))
    bouncer, process = stack.enter_context(
        scale_pg.pgbouncer(database, role, password, host, port, args.pool))
    direct = f"postgresql+psycopg://{role}:{password}@{host}:{port}/{database}"
    url = direct if args.direct else (
        f"postgresql+psycopg://{role}:{password}@127.0.0.1:{bouncer}/{database}")
    extra = {listen: direct} if listen and not args.direct else {}
    via = ("PostgreSQL directly" if args.direct else
           f"PgBouncer (transaction mode, {args.pool} server connections)")
    print(f"database {database}, login {role}; servers on {via}; LISTEN: "
          + ("direct (listen_database_url)" if extra else
             "through the same URL" if args.direct else
             "this mpo has no listen_database_url setting: statements are prepared and "
             "LISTEN goes through the pooler"))
    home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mpo-bench-scale-")))
    bases = []
    for n in range(args.servers):
        (home / f"s{n}").mkdir()
        bases.append(stack.enter_context(_server(url, home / f"s{n}", args.workers, extra,
                                                 home / f"s{n}" / "stderr.log")))
    plan = Plan(args.seconds, args.rate, args.batch, args.reject, args.assign, args.start)
    cpu = Cpu(database, bases, process.pid)
    start = _load()
    tally, elapsed = asyncio.run(drive(bases, people, plan, args.clients, args.warmup,
                                       cpu.start))
    cpu.stop()
    load = f"[load {start} -> {_load()}]"
    pooled = scale_pg.pgbouncer_stats(bouncer, database, role, password)
    _report_http(tally, elapsed, load, bases)
    _report_logs(sorted(home.glob("s*/stderr.log")))
    requests = sum(len(v) for v in tally.latencies.values())
    _report_database(times, cpu.seconds(), elapsed, requests, {} if args.direct else pooled,
                     load)
    written = scale_pg.sizes(scale_pg.plain(owner))
    _report_sizes(before, written, scale_pg.sizes(scale_pg.plain(owner), full=True), load)
    return bool(tally.errors)


if __name__ == "__main__":
    main()

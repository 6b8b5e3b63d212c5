"""The PostgreSQL side of bench/scale.py: a fresh database and login, a PgBouncer of its own
in front of it, the sizes of its tables, where its query time went (pg_stat_statements when
the server preloads it, else auto_explain's log of slow statements, and pg_stat_user_tables
either way) and the CPU time of processes, read from /proc."""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from serve import _port

from mpo.store.migrate import upgrade

PGBOUNCER = "/usr/sbin/pgbouncer"


def plain(url: str) -> str:
    """A SQLAlchemy URL as libpq reads it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def fresh_database(server: str) -> Iterator[tuple[str, str, str]]:
    """A new migrated database and a login in `mpo_app` with a password, both dropped on
    the way out (Ctrl-C too): (database, login, password)."""
    admin = plain(server)
    name, role = f"mpo_bench_{uuid.uuid4().hex[:8]}", f"mpo_bench_{uuid.uuid4().hex[:8]}"
    password = secrets.token_hex(16)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        upgrade(f"{server.rpartition('/')[0]}/{name}")  # it makes the mpo_app group role
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}' IN ROLE mpo_app")
        yield name, role, password
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


@contextmanager
def pgbouncer(database: str, role: str, password: str, host: str, port: int,
              pool: int) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """PgBouncer in transaction mode on a free port, in front of `database` only: a temp
    ini and an auth file (md5), run in the foreground (as `postgres` when we are root: it
    refuses root) and stopped on the way out. Yields the port and the process."""
    if not Path(PGBOUNCER).exists():
        raise SystemExit(f"{PGBOUNCER} is missing (apt-get install pgbouncer)")
    listen = _port()
    with tempfile.TemporaryDirectory(prefix="mpo-bench-pgbouncer-") as tmp:
        folder = Path(tmp)
        secret = "md5" + hashlib.md5((password + role).encode()).hexdigest()
        (folder / "users.txt").write_text(f'"{role}" "{secret}"\n')
        (folder / "pgbouncer.ini").write_text("\n".join([
            "[databases]",
            f"{database} = host={host} port={port} dbname={database}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1", f"listen_port = {listen}", "unix_socket_dir =",
            "auth_type = md5", f"auth_file = {folder / 'users.txt'}",
            f"admin_users = {role}", f"stats_users = {role}",
            "pool_mode = transaction", f"default_pool_size = {pool}",
            "max_client_conn = 1000", "ignore_startup_parameters = extra_float_digits",
            f"logfile = {folder / 'pgbouncer.log'}", ""]))
        command = [PGBOUNCER, str(folder / "pgbouncer.ini")]
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (folder, *folder.iterdir()):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            command[1:1] = ["-u", "postgres"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(listen, process, folder / "pgbouncer.log")
            yield listen, process
        finally:
            process.send_signal(signal.SIGINT)  # SIGINT: close its connections, then exit
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def own_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster from Debian's binaries that preloads
    pg_stat_statements (the shared server may not, and is not ours to restart): a superuser
    URL; the cluster is stopped and deleted on the way out."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda path: int(path.parts[-3]))
    if not found:
        raise SystemExit("--own-server needs PostgreSQL's binaries (apt-get install postgresql)")
    bindir, port = found[-1].parent, _port()
    user = "postgres" if os.geteuid() == 0 else None  # postgres refuses to run as root
    with tempfile.TemporaryDirectory(prefix="mpo-bench-cluster-") as tmp:
        if user is not None:
            owner = pwd.getpwnam(user)
            os.chown(tmp, owner.pw_uid, owner.pw_gid)
        subprocess.run([str(bindir / "initdb"), "-D", f"{tmp}/data", "-U", "postgres",
                        "--auth=trust", "-E", "UTF8"], user=user, check=True,
                       stdout=subprocess.DEVNULL)
        with open(f"{tmp}/log", "wb") as log:
            process = subprocess.Popen(
                [str(bindir / "postgres"), "-D", f"{tmp}/data", "-p", str(port), "-k", tmp,
                 "-c", "listen_addresses=127.0.0.1",
                 "-c", "shared_preload_libraries=pg_stat_statements"],
                user=user, stdout=subprocess.DEVNULL, stderr=log)
        try:
            url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
            for _ in range(200):
                if process.poll() is not None:
                    raise SystemExit(f"postgres exited: {Path(tmp, 'log').read_text()[-800:]}")
                try:
                    psycopg.connect(url, connect_timeout=1).close()
                    break
                except psycopg.OperationalError:
                    time.sleep(0.05)
            yield url.replace("postgresql://", "postgresql+psycopg://", 1)
        finally:
            process.send_signal(signal.SIGINT)  # fast shutdown
            process.wait(timeout=60)


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    import socket

    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit(f"pgbouncer exited: {log.read_text()[-800:] if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("pgbouncer did not listen within 10 s")


def pgbouncer_stats(port: int, database: str, role: str, password: str) -> dict[str, int]:
    """SHOW STATS for `database` from PgBouncer's admin console (simple query protocol:
    psql, which the postgresql-client package brings with pgbench)."""
    psql = shutil.which("psql")
    if psql is None:
        return {}
    done = subprocess.run(
        [psql, "-h", "127.0.0.1", "-p", str(port), "-U", role, "-AF", "\t", "-c",
         "SHOW STATS", "pgbouncer"], env=os.environ | {"PGPASSWORD": password},
        capture_output=True, text=True, check=False)
    lines = done.stdout.splitlines()
    if done.returncode != 0 or len(lines) < 2:
        return {}
    header = lines[0].split("\t")
    for line in lines[1:]:
        row = dict(zip(header, line.split("\t"), strict=False))
        if row.get("database") == database:
            return {k: int(v) for k, v in row.items() if v.isdigit()}
    return {}


def sizes(conninfo: str, full: bool = False) -> tuple[int, dict[str, int], dict[str, int]]:
    """The database's size, and each table's total size (indexes and TOAST included) and
    live rows (pg_class.reltuples after ANALYZE); `full`: after VACUUM FULL, the live rows
    alone (the bench's database only: it locks every table while it rewrites it)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM (FULL, ANALYZE)" if full else "ANALYZE")
        total = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        rows = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid), greatest(c.reltuples, 0)::bigint "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()").fetchall()
    assert total is not None
    return int(total[0]), {r[0]: int(r[1]) for r in rows}, {r[0]: int(r[2]) for r in rows}


class QueryTimes:
    """Where the database's time went, by the best means the server offers without a
    restart: pg_stat_statements when `shared_preload_libraries` has it, else auto_explain
    (loaded per session with `ALTER DATABASE ... SET session_preload_libraries`, logging
    statements over `threshold_ms` to the server's log, read back with pg_read_file)."""

    def __init__(self, admin: str, database: str, role: str, threshold_ms: float) -> None:
        """Statements of `role` (the servers' login) in `database` only."""
        self.admin, self.name, self.role = plain(admin), database, role
        self.conninfo = f"{self.admin.rpartition('/')[0]}/{database}"
        self.threshold_ms = threshold_ms
        self.log: str | None = None
        self.offset = 0
        with psycopg.connect(self.admin, autocommit=True) as conn:
            preload = str(_one(conn, "SHOW shared_preload_libraries"))
            self.statements = "pg_stat_statements" in preload
            if self.statements:
                with psycopg.connect(self.conninfo, autocommit=True) as db:
                    db.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                    db.execute("SELECT pg_stat_statements_reset(0, (SELECT oid FROM "
                               "pg_database WHERE datname = current_database()), 0)")
            else:
                self.log = _log_file(conn)
                conn.execute(f"ALTER DATABASE \"{database}\" SET session_preload_libraries "
                             "= 'auto_explain'")
                conn.execute(f"ALTER DATABASE \"{database}\" SET "
                             f"auto_explain.log_min_duration = '{threshold_ms}ms'")
                if self.log is not None:
                    self.offset = int(_one(conn, "SELECT size FROM pg_stat_file(%s)",
                                           (self.log,)))
        self.why = ("pg_stat_statements" if self.statements else
                    f"pg_stat_statements is not in shared_preload_libraries "
                    f"({preload or 'empty'}; loading it needs a restart, not done here): "
                    f"auto_explain instead, statements over {threshold_ms:g} ms"
                    + ("" if self.log else ", but the server's log file was not found"))

    def slowest(self, count: int) -> list[str]:
        """The statements with the most total time (pg_stat_statements), or the slowest
        ones auto_explain logged, one line each."""
        if self.statements:
            mine = ("FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE "
                    "datname = current_database()) AND userid = (SELECT oid FROM pg_roles "
                    "WHERE rolname = %s)")
            with psycopg.connect(self.conninfo, autocommit=True) as conn:
                rows = conn.execute(
                    "SELECT calls, total_exec_time, mean_exec_time, max_exec_time, query "
                    f"{mine} ORDER BY total_exec_time DESC LIMIT %s",
                    (self.role, count)).fetchall()
                worst = conn.execute(f"SELECT max_exec_time, query {mine} "
                                     "ORDER BY max_exec_time DESC LIMIT 1", (self.role,)).fetchone()
            lines = [f"{total / 1000:8.1f} s total {calls:>8} calls mean {mean:7.2f} ms max "
                     f"{most:8.1f} ms  {_short(query)}" for calls, total, mean, most, query in rows]
            if worst is not None:
                lines.append(f"slowest single execution: {worst[0]:.1f} ms  {_short(worst[1])}")
            return lines
        return self._logged(count)

    def _logged(self, count: int) -> list[str]:
        if self.log is None:
            return []
        with psycopg.connect(self.admin, autocommit=True) as conn:
            size = int(_one(conn, "SELECT size FROM pg_stat_file(%s)", (self.log,)))
            text = str(_one(conn, "SELECT pg_read_file(%s, %s, %s)",
                            (self.log, self.offset, max(0, size - self.offset))))
        found: dict[str, list[float]] = {}
        who = f"{re.escape(self.role)}@{re.escape(self.name)}"
        entry = re.compile(rf"{who} LOG:  duration: ([\d.]+) ms  plan:\n\s*Query Text: (.*)")
        for took, query in entry.findall(text):
            found.setdefault(_short(query), []).append(float(took))
        ranked = sorted(found.items(), key=lambda item: -max(item[1]))[:count]
        return [f"max {max(t):8.1f} ms, {len(t):>5} over {self.threshold_ms:g} ms  {q}"
                for q, t in ranked]

    def tables(self) -> list[str]:
        """pg_stat_user_tables: scans and writes per table, sequential reads first."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_tup_ins, "
                "n_tup_upd, n_tup_hot_upd, n_dead_tup FROM pg_stat_user_tables "
                "WHERE seq_scan + coalesce(idx_scan, 0) + n_tup_ins + n_tup_upd > 0 "
                "ORDER BY seq_tup_read DESC, idx_scan DESC").fetchall()
        return [f"{name:<24}{seq:>9}{read:>13}{idx:>10}{ins:>9}{upd:>9}{hot:>9}{dead:>9}"
                for name, seq, read, idx, ins, upd, hot, dead in rows]

    def database(self) -> dict[str, Any]:
        """pg_stat_database's counters for the bench database."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            cursor = conn.execute(
                "SELECT xact_commit, xact_rollback, blks_read, blks_hit, deadlocks, "
                "temp_bytes, conflicts FROM pg_stat_database WHERE datname = current_database()")
            row = cursor.fetchone()
            names = [c.name for c in cursor.description or ()]
        return dict(zip(names, row or (), strict=False))


def _one(conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def _log_file(conn: psycopg.Connection[Any]) -> str | None:
    """The server's log: pg_current_logfile() with the logging collector on, else Debian's
    /var/log/postgresql/postgresql-VERSION-CLUSTER.log (stderr, from pg_ctlcluster)."""
    current = _one(conn, "SELECT pg_current_logfile()")
    if current:
        directory = str(_one(conn, "SHOW data_directory"))
        return current if current.startswith("/") else f"{directory}/{current}"
    cluster = str(_one(conn, "SHOW cluster_name") or "")
    if "/" not in cluster:
        return None
    guess = f"/var/log/postgresql/postgresql-{cluster.replace('/', '-')}.log"
    try:
        _one(conn, "SELECT size FROM pg_stat_file(%s)", (guess,))
    except psycopg.Error:
        return None
    return guess


def _short(query: str, width: int = 150) -> str:
    flat = " ".join(query.split())
    return flat if len(flat) <= width else flat[:width - 3] + "..."


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process and its threads, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def backends(database: str) -> list[int]:
    """The server processes connected to `database` (their title names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {database} " in title:
                found.append(int(entry.name))
    return found

"""Benchmark `mpo serve` creating tasks: 16 concurrent HTTP clients for N seconds against one
server, then the same creates as `mpo create` processes (16 at a time), for the ratio.

The server runs with one worker process, then with one per CPU (`--workers`).
Runs on SQLite, and on PostgreSQL when MPO_TEST_DATABASE_URL names a server (the server and
the CLI then connect as a login role in mpo_app, as in production). Targets (issue 12), on a
2-core machine: >= 400 creates/s with p95 <= 50 ms on SQLite, >= 100x `mpo create`.
Prints figures and ratios; asserts nothing.

    python bench/serve.py                     # 30 s of HTTP per database, 10 s of processes
    python bench/serve.py --seconds 10 --cli-seconds 5 --sqlite-only
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

from mpo.core.domain.validation import Rules
from mpo.core.usecases.identity import add_principal, authenticate, bootstrap_admin
from mpo.store.database import SqlDatabase
from mpo.store.migrate import upgrade

CLIENTS = 16
BODY = {"marketplace": "amazon", "title": "Rewrite GEO titles for 50 SKUs",
        "description": "bench/serve.py", "category": "optimization", "priority": "high",
        "estimatedHours": 4, "createdBy": "marketplace-amazon"}


def _tokens(url: str) -> str:
    """Migrate, bootstrap an admin, and return a new amazon agent's token."""
    upgrade(url)
    db = SqlDatabase(url)
    root = bootstrap_admin(db, "root")
    assert root is not None
    agent = add_principal(db, authenticate(db, root), "marketplace-amazon", "agent", "amazon",
                          Rules())
    db.engine.dispose()
    return agent.token


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(url: str, home: Path, workers: int, extra: dict[str, str] | None = None,
            stderr: Path | None = None) -> Iterator[str]:
    """`mpo serve` on `url` on a free port, ready when yielded; `extra` adds to its
    environment, `stderr` takes what it writes there."""
    port = _port()
    env = os.environ | {"MPO_DATABASE_URL": url, "HOME": str(home),
                        "MPO_HTTP_ACCESS_LOG": str(home / "access.log")} | (extra or {})
    errors = None if stderr is None else stderr.open("ab")
    process = subprocess.Popen([sys.executable, "-m", "mpo", "serve", "--port", str(port),
                                "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL,
                               stderr=errors)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        if errors is not None:
            errors.close()


async def _http(base: str, token: str, seconds: float) -> tuple[int, list[float], int]:
    """`CLIENTS` keep-alive connections posting the seed's create for `seconds`.

    The load generator is a few lines of asyncio speaking HTTP/1.1 on a socket, not httpx:
    on a 2-core machine the clients share the cores with the server, and httpx spends more
    CPU per request than the server does, which would measure the client instead."""
    host, _, port = base.removeprefix("http://").partition(":")
    body = json.dumps(BODY).encode()
    request = (f"POST /api/orchestration/tasks HTTP/1.1\r\nHost: {host}\r\n"
               f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                errors += head[9:12] != b"201"
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return len(latencies), latencies, errors


def _processes(url: str, token: str, home: Path, seconds: float) -> tuple[int, float]:
    env = os.environ | {"MPO_DATABASE_URL": url, "MPO_TOKEN": token, "HOME": str(home)}
    args = ["mpo", "create", "-m", "amazon", "-t", "Rewrite GEO titles for 50 SKUs",
            "-c", "optimization", "-p", "high", "-e", "4"]
    stop = time.perf_counter() + seconds

    def loop() -> int:
        done = 0
        while time.perf_counter() < stop:
            subprocess.run(args, env=env, capture_output=True, check=True)
            done += 1
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        total = sum(pool.map(lambda _: loop(), range(CLIENTS)))
    return total, time.perf_counter() - started


def _run(name: str, server_url: str, token: str, home: Path,
         seconds: float, cli_seconds: float) -> None:
    """The HTTP phase with one worker process and with one per CPU, then the processes."""
    rates = []
    for workers in sorted({1, os.cpu_count() or 1}):
        with _server(server_url, home, workers) as base:
            asyncio.run(_http(base, token, 1.0))  # warm up: pool, imports, caches
            started = time.perf_counter()
            count, latencies, errors = asyncio.run(_http(base, token, seconds))
            elapsed = time.perf_counter() - started
        cuts = statistics.quantiles(latencies, n=100)
        rates.append(count / elapsed)
        print(f"{name}, --workers {workers}: HTTP {count} creates in {elapsed:.1f} s = "
              f"{rates[-1]:.0f}/s ({CLIENTS} clients, {errors} errors); latency p50 "
              f"{cuts[49] * 1000:.1f} ms, p95 {cuts[94] * 1000:.1f} ms, "
              f"p99 {cuts[98] * 1000:.1f} ms")
    cli_count, cli_elapsed = _processes(server_url, token, home, cli_seconds)
    cli_rate = cli_count / cli_elapsed
    print(f"{name}: `mpo create` processes: {cli_count} in {cli_elapsed:.1f} s = "
          f"{cli_rate:.1f}/s ({CLIENTS} at a time); HTTP/processes = "
          + ", ".join(f"{rate / cli_rate:.0f}x" for rate in rates))


@contextmanager
def app_database() -> Iterator[tuple[str, str, str]]:
    """A fresh database on MPO_TEST_DATABASE_URL's server, migrated, with its tokens, and a
    new login in mpo_app: (the owner's URL, the login's URL, the admin's token). Both are
    dropped afterwards."""
    server = os.environ["MPO_TEST_DATABASE_URL"]
    base, _, _ = server.rpartition("/")
    name, role = f"mpo_bench_{uuid.uuid4().hex[:8]}", f"mpo_bench_{uuid.uuid4().hex[:8]}"
    admin = server.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        owner = f"{base}/{name}"
        token = _tokens(owner)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE mpo_app')
        yield owner, owner.replace("postgres@", f"{role}@", 1), token
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def _postgres(home: Path, seconds: float, cli_seconds: float) -> None:
    with app_database() as (_, app, token):
        _run("postgresql", app, token, home, seconds, cli_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="HTTP phase length")
    parser.add_argument("--cli-seconds", type=float, default=10.0,
                        help="`mpo create` phase length")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} before the run")
    with tempfile.TemporaryDirectory(prefix="mpo-bench-serve-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'mpo.db'}"
        _run("sqlite", url, _tokens(url), home, args.seconds, args.cli_seconds)
        if not args.sqlite_only and os.environ.get("MPO_TEST_DATABASE_URL"):
            _postgres(home, args.seconds, args.cli_seconds)


if __name__ == "__main__":
    main()

"""A real `mpo serve` in a subprocess on a free port, one per database for the package,
driven with httpx over the socket. Principals are made through the core use cases; on
PostgreSQL the server connects as a login role in `mpo_app`, so row-level security applies.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpo.core.domain.validation import Rules
from mpo.core.usecases.identity import add_principal, authenticate, bootstrap_admin
from mpo.store.database import SqlDatabase
from tests.conftest import RUN_ID, _admin_connect, _server_url, _with_database
from tests.migrated import upgrade

#: Principals every server has: name -> (role, marketplace).
PRINCIPALS = {
    "marketplace-amazon": ("agent", "amazon"),
    "marketplace-shopee": ("agent", "shopee"),
    "marketplace-kaway": ("agent", "kaway"),  # rate-limited: see RATE_LIMITS
    "bea": ("member", None),
    "vic": ("viewer", None),
    "ana": ("admin", None),
}
RATE_LIMITS = "marketplace-kaway=2/hour"


@dataclass
class Served:
    """A running server: its base URL, tokens by principal, database URL and access log."""

    url: str
    tokens: dict[str, str]
    database_url: str
    log: Path
    process: subprocess.Popen[bytes]
    kind: str
    owner_url: str = ""
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, who: str | None) -> httpx.Client:
        """An HTTP client acting as `who` (bearer token), or anonymous."""
        key = who or ""
        if key not in self.clients:
            headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
            self.clients[key] = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        return self.clients[key]

    def db(self) -> SqlDatabase:
        """The database, for reading back what the server wrote (as the owner)."""
        return SqlDatabase(self.owner_url)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _populate(url: str) -> dict[str, str]:
    upgrade(url)
    db = SqlDatabase(url)
    root = bootstrap_admin(db, "root")
    assert root is not None
    actor = authenticate(db, root)
    tokens = {"root": root}
    for name, (role, marketplace) in PRINCIPALS.items():
        tokens[name] = add_principal(db, actor, name, role, marketplace, Rules()).token
    db.engine.dispose()
    return tokens


def start(database_url: str, owner_url: str, tokens: dict[str, str], home: Path, kind: str,
          **env: str) -> Served:
    """`mpo serve` on a free port, waiting until /healthz answers."""
    port = _free_port()
    log = home / "access.log"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")} | {
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".data"), "MPO_DATABASE_URL": database_url,
        "MPO_HTTP_ACCESS_LOG": str(log), "MPO_RATE_LIMITS": RATE_LIMITS, **env}
    with (home / "serve.err").open("wb") as errors:
        process = subprocess.Popen([sys.executable, "-m", "mpo", "serve", "--port", str(port)],
                                   env=environ, stdout=subprocess.DEVNULL, stderr=errors)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"mpo serve did not start: {(home / 'serve.err').read_text()}")
        time.sleep(0.05)
    return Served(url, tokens, database_url, log, process, kind, owner_url=owner_url)


def stop(served: Served) -> int:
    """SIGTERM, as a service manager stops it; the exit status."""
    for client in served.clients.values():
        client.close()
    served.process.terminate()
    return served.process.wait(timeout=30)


@pytest.fixture(scope="package")
def sqlite_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One SQLite server for every test module here (per xdist worker)."""
    yield from sqlite(tmp_path_factory.mktemp("serve-sqlite"))


@pytest.fixture(scope="package")
def postgres_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One PostgreSQL server, connected as a login role in mpo_app."""
    yield from _postgres(tmp_path_factory.mktemp("serve-postgres"))


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> Served:
    """The server on each database."""
    served: Served = request.getfixturevalue(f"{request.param}_served")
    return served


def sqlite(home: Path, **env: str) -> Iterator[Served]:
    """A server over a new SQLite database in `home`."""
    url = f"sqlite:///{home / 'mpo.db'}"
    served = start(url, url, _populate(url), home, "sqlite", **env)
    yield served
    stop(served)


def _postgres(home: Path) -> Iterator[Served]:
    base = _server_url()
    name = f"mpo_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    role = f"mpo_test_{uuid.uuid4().hex[:10]}"
    with _admin_connect(base) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    owner = _with_database(base, name)
    try:
        tokens = _populate(owner)
        with _admin_connect(owner) as conn:
            conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE mpo_app')
        served = start(owner.replace("postgres@", f"{role}@", 1), owner, tokens, home,
                       "postgres")
        yield served
        stop(served)
    finally:
        with _admin_connect(base) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


#: The seed agent's create body, exactly as its README shows it.
TASK_BODY: dict[str, Any] = {
    "marketplace": "amazon", "title": "Rewrite GEO titles",
    "description": "Titles lack the brand", "category": "optimization", "priority": "high",
    "estimatedHours": 4, "createdBy": "marketplace-amazon"}


def create_body(**overrides: Any) -> dict[str, Any]:
    """The seed agent's create body with some fields changed."""
    return TASK_BODY | overrides

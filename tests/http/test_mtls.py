"""Mutual TLS for agents (issue 27): a real `mpo serve --ssl-ca-certs` over TLS, with a CA
and certificates made by `openssl`, principals bound to their certificates through the
command line; on SQLite and on PostgreSQL, where the server and the command line connect
as a login in `mpo_app` (row-level security and the write guards apply)."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from mpo.store.database import SqlDatabase
from tests import certs
from tests.http.conftest import _free_port, _populate
from tests.pg_app import app_login, module_database

AGENTS = ("marketplace-amazon", "marketplace-shopee")


@dataclass
class World:
    """One database with bound principals, and a server per `--client-certs` mode."""

    home: Path
    app_url: str
    owner_url: str
    tokens: dict[str, str]
    urls: dict[str, str]

    def get(self, mode: str, path: str, who: str | None, cert: str | None,
            ca: str = "ca", method: str = "GET", body: Any = None) -> httpx.Response:
        """GET `path` (or `method` with `body`) from the `mode` server, as `who` (token),
        presenting `cert`."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        ctx = certs.context(self.home, cert)
        if ca != "ca":
            ctx.load_cert_chain(self.home / f"{ca}.pem", self.home / f"{ca}.key")
        with httpx.Client(base_url=self.urls[mode], verify=ctx, timeout=30) as client:
            return client.request(method, path, headers=headers, json=body)


def mpo(home: Path, url: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `mpo` command, as the holder of `token`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")} | {
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".data"), "MPO_DATABASE_URL": url, "MPO_TOKEN": token}
    return subprocess.run([sys.executable, "-m", "mpo", *args], env=env, cwd=home,
                          capture_output=True, text=True, check=False)


def _prepare(home: Path, url: str, tokens: dict[str, str]) -> None:
    """Certificates, and principals bound to them by an admin on the command line."""
    certs.authority(home)
    certs.authority(home, "other-ca")
    certs.server(home)
    for name in (*AGENTS, "gone", "bea"):
        certs.issue(home, name)
    certs.issue(home, "stranger", "other-ca")
    root = tokens["root"]
    for agent in AGENTS:
        bound = mpo(home, url, root, "principal", "bind-cert", agent, f"{agent}.pem")
        assert bound.returncode == 0, bound.stderr
    added = mpo(home, url, root, "principal", "add", "marketplace-gone", "--role", "agent",
                "-m", "amazon", "--cert-fingerprint", certs.fingerprint(home, "gone"),
                "--json")
    assert added.returncode == 0, added.stderr
    tokens["marketplace-gone"] = json.loads(added.stdout)["token"]
    assert mpo(home, url, root, "principal", "revoke", "marketplace-gone").returncode == 0


def _serve(home: Path, url: str, mode: str) -> tuple[str, subprocess.Popen[bytes]]:
    """`mpo serve` over mutual TLS, waiting until /healthz answers to a client cert."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")} | {
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "MPO_DATABASE_URL": url, "MPO_HTTP_ACCESS_LOG": str(home / f"{mode}.log")}
    with (home / f"{mode}.err").open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "mpo", "serve", "--port", str(port), "--ssl-certfile",
             "server.pem", "--ssl-keyfile", "server.key", "--ssl-ca-certs", "ca.pem",
             "--client-certs", mode], cwd=home, env=env, stdout=subprocess.DEVNULL,
            stderr=errors)
    base = f"https://127.0.0.1:{port}"
    ctx = certs.context(home, "bea")
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", verify=ctx, timeout=1).status_code == 200:
                return base, process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"mpo serve did not start: {(home / f'{mode}.err').read_text()}")
        time.sleep(0.05)


def _world(home: Path, owner_url: str, app_url: str) -> Iterator[World]:
    tokens = _populate(owner_url)
    _prepare(home, app_url, tokens)
    servers = {mode: _serve(home, app_url, mode) for mode in ("optional", "required")}
    try:
        yield World(home, app_url, owner_url, tokens,
                    {mode: base for mode, (base, _) in servers.items()})
    finally:
        for _, process in servers.values():
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp(f"mtls-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'mpo.db'}"
        yield from _world(home, url, url)
        return
    with module_database() as owner, app_login(owner) as app_url:
        yield from _world(home, owner, app_url)


def _refused(response: httpx.Response, why: str) -> None:
    assert response.status_code == 401, response.text
    problem = response.json()
    assert problem["type"] == "urn:mpo:problem:auth-error" and why in problem["detail"]


def test_a_bound_token_is_accepted_only_with_its_own_certificate(world: World) -> None:
    for mode in ("optional", "required"):
        assert world.get(mode, "/api/v1/tasks", "marketplace-amazon",
                         "marketplace-amazon").status_code == 200
        _refused(world.get(mode, "/api/v1/tasks", "marketplace-amazon", "marketplace-shopee"),
                 "bound to another client certificate")
    _refused(world.get("optional", "/api/v1/tasks", "marketplace-amazon", None),
             "the connection presented none")


def test_every_http_surface_checks_the_binding(world: World) -> None:
    seed = world.get("optional", "/api/orchestration/tasks", "marketplace-amazon", None)
    assert seed.status_code == 401 and "presented none" in seed.json()["error"]
    for path in ("/api/v1/stats", "/api/v1/log", "/api/v1/events"):
        _refused(world.get("optional", path, "marketplace-shopee", "marketplace-amazon"),
                 "another client certificate")
    # the MCP tools at /mcp authenticate as the API does
    _refused(world.get("optional", "/mcp", "marketplace-amazon", None, method="POST",
                       body={}), "presented none")
    assert world.get("optional", "/mcp", "marketplace-amazon", "marketplace-amazon",
                     method="POST", body={}).status_code != 401


def test_a_revoked_principals_certificate_is_useless(world: World) -> None:
    for mode in ("optional", "required"):
        _refused(world.get(mode, "/api/v1/tasks", "marketplace-gone", "gone"),
                 "unknown or revoked")
    # bea's token is not bound: under `required` it needs a binding, not just any certificate
    _refused(world.get("required", "/api/v1/tasks", "bea", "gone"),
             "bea has no client certificate bound")


def test_unbound_principals_behave_as_before_unless_required(world: World) -> None:
    assert world.get("optional", "/api/v1/tasks", "bea", None).status_code == 200
    _refused(world.get("required", "/api/v1/tasks", "bea", "bea"),
             "mpo principal bind-cert bea CERT.pem")


def test_healthz_for_a_load_balancer(world: World) -> None:
    assert world.get("optional", "/healthz", None, None).json() == {"status": "ok"}
    assert world.get("required", "/healthz", None, "bea").json() == {"status": "ok"}
    with pytest.raises(httpx.TransportError):  # the handshake itself needs a certificate
        world.get("required", "/healthz", None, None)


def test_a_certificate_from_another_ca_fails_the_handshake(world: World) -> None:
    for mode in ("optional", "required"):
        with pytest.raises((httpx.TransportError, ssl.SSLError)):
            world.get(mode, "/healthz", "marketplace-amazon", None, ca="stranger")


def test_refusals_are_recorded_and_a_bound_token_is_refused_on_the_command_line(
        world: World) -> None:
    done = mpo(world.home, world.app_url, world.tokens["marketplace-amazon"], "list")
    assert done.returncode == 4 and "Traceback" not in done.stderr
    assert "bound to a client certificate" in done.stderr
    assert "not on the command line" in done.stderr
    _refused(world.get("required", "/api/v1/tasks", "marketplace-amazon", "marketplace-shopee"),
             "another client certificate")
    with SqlDatabase(world.owner_url).engine.connect() as conn:
        reasons = _reasons(conn.exec_driver_sql(
            "SELECT principal, reason FROM access_denial WHERE verb = 'authenticate'"))
    assert any(who == "marketplace-amazon" and "another client certificate" in why
               for who, why in reasons)


def _reasons(rows: Any) -> list[tuple[str, str]]:
    return [(str(r[0]), str(r[1])) for r in rows]

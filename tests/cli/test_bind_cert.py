"""`mpo principal bind-cert` and `principal add --cert-fingerprint` (issue 27): binding,
unbinding, what a bound token can no longer do on the command line, bad input, and who may
bind: admins only, on SQLite and on PostgreSQL as a login in `mpo_app`, where the write
guard also refuses a principal changing its own binding with raw SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.validation import Rules
from mpo.core.usecases import identity
from mpo.store.database import SqlDatabase
from mpo.store.quick import task_ids
from tests import certs
from tests.builders import make_task
from tests.conftest import MpoRunner
from tests.migrated import upgrade
from tests.pg_app import app_login, conninfo, module_database

AGENT = "marketplace-amazon"


def _principals(url: str) -> dict[str, str]:
    db = SqlDatabase(url)
    tokens = {"root": identity.bootstrap_admin(db, "root") or ""}
    root = Actor("root", Role.ADMIN)
    tokens[AGENT] = identity.add_principal(db, root, AGENT, "agent", "amazon", Rules()).token
    tokens["ana"] = identity.add_principal(db, root, "ana", "member", None, Rules()).token
    db.engine.dispose()
    return tokens


@pytest.fixture(scope="module")
def postgres_db() -> Iterator[tuple[str, str, dict[str, str]]]:
    with module_database() as url:
        upgrade(url)
        tokens = _principals(url)
        with app_login(url) as app_url:
            yield url, app_url, tokens


def _sqlite(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'mpo.db'}"
    upgrade(url)
    return {"kind": "sqlite", "url": url, "app_url": url, **_principals(url)}


def _ready(found: dict[str, str], tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Certificates in tmp_path, root's token as MPO_TOKEN; the agent unbound afterwards."""
    certs.authority(tmp_path)
    for name in ("amazon", "ana"):
        certs.issue(tmp_path, name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPO_DATABASE_URL", found["app_url"])
    monkeypatch.setenv("MPO_TOKEN", found["root"])
    yield found
    db = SqlDatabase(found["app_url"]).acting(found["root"])
    identity.bind_certificate(db, Actor("root", Role.ADMIN), AGENT, None)


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The database (an app login on PostgreSQL) and certificates, acting as root."""
    if request.param == "sqlite":
        found = _sqlite(tmp_path)
    else:
        url, app_url, tokens = request.getfixturevalue("postgres_db")
        found = {"kind": "postgres", "url": url, "app_url": app_url, **tokens}
    yield from _ready(found, tmp_path, monkeypatch)


@pytest.fixture
def sqlite_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The same on SQLite only, for checks that involve no permission."""
    yield from _ready(_sqlite(tmp_path), tmp_path, monkeypatch)


def test_a_bound_token_is_refused_on_the_command_line_until_unbound(
        runner: MpoRunner, world: dict[str, str], tmp_path: Path) -> None:
    bound = runner.json("principal", "bind-cert", AGENT, "amazon.pem",
                        "--fields", "name,cert_fingerprint")
    openssl = certs.fingerprint(tmp_path, "amazon").split("=", 1)[1]
    assert bound == {"name": AGENT, "cert_fingerprint": openssl.replace(":", "").lower()}
    listed = runner.json("principal", "list", "--fields", "name,cert_fingerprint")
    assert {p["name"]: p["cert_fingerprint"] for p in listed}[AGENT] == bound[
        "cert_fingerprint"]
    refused = runner("list", env={"MPO_TOKEN": world[AGENT]})
    assert refused.exit_code == 4
    assert refused.stderr == (f"error: the token of {AGENT} is bound to a client certificate: "
                              "use it over HTTPS with that certificate (mpo serve "
                              "--ssl-ca-certs), not on the command line\n")
    cleared = runner.json("principal", "bind-cert", AGENT, "--clear",
                          "--fields", "name,cert_fingerprint")
    assert cleared == {"name": AGENT, "cert_fingerprint": None}
    assert runner("list", env={"MPO_TOKEN": world[AGENT]}).exit_code == 0


def test_shell_completion_offers_a_bound_token_nothing(
        runner: MpoRunner, world: dict[str, str]) -> None:
    task = str(make_task(SqlDatabase(world["url"])).id)
    assert task_ids(world["app_url"], world[AGENT], task[:8]) == [task]
    assert runner("principal", "bind-cert", AGENT, "amazon.pem").exit_code == 0
    assert task_ids(world["app_url"], world[AGENT], task[:8]) == []


def test_only_admins_bind_certificates(runner: MpoRunner, world: dict[str, str]) -> None:
    for who in (AGENT, "ana"):
        refused = runner("principal", "bind-cert", AGENT, "ana.pem",
                         env={"MPO_TOKEN": world[who]})
        assert refused.exit_code == 4, refused.stderr
    listed = runner.json("principal", "list", "--fields", "name,cert_fingerprint")
    assert all(p["cert_fingerprint"] is None for p in listed)


def test_the_guard_refuses_a_principal_changing_its_own_binding(
        postgres_db: tuple[str, str, dict[str, str]]) -> None:
    _, app_url, tokens = postgres_db
    with psycopg.connect(conninfo(app_url)) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (tokens[AGENT],))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE principal SET cert_fingerprint = %s WHERE name = %s",
                         ("ab" * 32, AGENT))


@pytest.mark.parametrize(("args", "code", "start"), [
    ((AGENT,), 2, "error: cert: give the certificate file (PEM) or --clear"),
    ((AGENT, "amazon.pem", "--clear"), 2, "error: cert: give the certificate file"),
    ((AGENT, "missing.pem"), 2, "error: cert: cannot read missing.pem"),
    ((AGENT, "amazon.key"), 2, "error: cert: no PEM certificate"),
    (("nobody", "amazon.pem"), 3, "error: no active principal named nobody"),
])
def test_bad_bindings_are_refused_naming_the_field(
        runner: MpoRunner, sqlite_world: dict[str, str], args: tuple[str, ...], code: int,
        start: str) -> None:
    refused = runner("principal", "bind-cert", *args)
    assert refused.exit_code == code and refused.stderr.startswith(start), refused.stderr


def test_add_binds_by_fingerprint_and_a_certificate_binds_one_principal(
        runner: MpoRunner, sqlite_world: dict[str, str], tmp_path: Path) -> None:
    shown = certs.fingerprint(tmp_path, "amazon")  # "SHA256 Fingerprint=AB:CD:..."
    added = runner.json("principal", "add", "marketplace-amazon-2", "--role", "agent", "-m",
                        "amazon", "--cert-fingerprint", shown, "--fields", "name,token")
    with sqlite3.connect(sqlite_world["url"].removeprefix("sqlite:///")) as conn:
        (stored,) = conn.execute("SELECT cert_fingerprint FROM principal WHERE name = ?",
                                 (added["name"],)).fetchone()
    assert stored == shown.split("=", 1)[1].replace(":", "").lower()
    taken = runner("principal", "bind-cert", AGENT, "amazon.pem")
    assert taken.exit_code == 5
    assert taken.stderr == ("error: that certificate is already bound to marketplace-amazon-2;"
                            " each principal needs its own\n")
    bad = runner("principal", "add", "x", "--role", "member", "--cert-fingerprint", "ab:cd")
    assert bad.exit_code == 2 and bad.stderr.startswith(
        "error: cert-fingerprint: 'ab:cd' is not a certificate fingerprint; give 64 hex")

"""`mpo auth web-link`: one-time sign-in links for the web pages (issue 23), on SQLite and on
PostgreSQL as an mpo_app login. Only a digest is stored; a link signs in once; people make
their own, admins anyone's; agents have no pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from mpo.core.domain.errors import AuthError
from mpo.core.domain.tokens import digest
from mpo.core.domain.validation import Rules
from mpo.core.usecases import identity
from mpo.core.usecases.web_sessions import redeem, session_actor
from mpo.store.database import SqlDatabase
from mpo.store.migrate import upgrade
from tests.conftest import MpoRunner
from tests.pg_app import app_login, module_database

PEOPLE = {"bea": ("member", None), "vic": ("viewer", None),
          "marketplace-amazon": ("agent", "amazon")}


def _tokens(url: str) -> dict[str, str]:
    upgrade(url)
    db = SqlDatabase(url)
    root = identity.bootstrap_admin(db, "root")
    assert root is not None
    admin = identity.authenticate(db, root)
    return {"root": root} | {name: identity.add_principal(db, admin, name, role, market,
                                                         Rules()).token
                             for name, (role, market) in PEOPLE.items()}


@pytest.fixture(scope="module")
def postgres_world() -> Iterator[dict[str, Any]]:
    """One PostgreSQL database for the module, used through a login in mpo_app."""
    with module_database() as url, app_login(url) as app_url:
        yield {"owner": url, "url": app_url, "tokens": _tokens(url)}


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mpo.db'}"
        found: dict[str, Any] = {"owner": url, "url": url, "tokens": _tokens(url)}
    else:
        found = request.getfixturevalue("postgres_world")
    monkeypatch.setenv("MPO_DATABASE_URL", found["url"])
    return found


def _link(runner: MpoRunner, world: dict[str, Any], who: str, name: str) -> Any:
    return runner("auth", "web-link", name, "--url", "https://mpo.example.com/", "--json",
                  env={"MPO_TOKEN": world["tokens"][who]})


def test_an_admins_link_signs_a_person_in_once_and_only_its_digest_is_kept(
        runner: MpoRunner, world: dict[str, Any]) -> None:
    made = _link(runner, world, "root", "bea")
    assert made.exit_code == 0, made.stderr
    row = json.loads(made.stdout)
    base, code = row["link"].split("#link=")
    assert (row["principal"], base) == ("bea", "https://mpo.example.com/web/signin")
    owner = SqlDatabase(world["owner"])
    with owner.engine.connect() as conn:
        stored = conn.execute(text("SELECT id_hash, kind FROM web_session")).all()
    assert (digest(code), "link") in [tuple(r) for r in stored]
    assert all(code not in r[0] for r in stored)
    app = SqlDatabase(world["url"])
    opened = redeem(app, code)
    assert session_actor(app.acting(opened.secret), opened.secret).name == "bea"
    with pytest.raises(AuthError):
        redeem(app, code)


@pytest.mark.parametrize(("who", "name", "code"), [
    ("bea", "bea", 0),  # a person's own link
    ("bea", "vic", 4),  # someone else's: admins only
    ("vic", "bea", 4),
    ("root", "marketplace-amazon", 3),  # agents have no pages
    ("marketplace-amazon", "marketplace-amazon", 4),
    ("root", "nobody", 3),
])
def test_who_may_make_a_link(runner: MpoRunner, world: dict[str, Any], who: str, name: str,
                             code: int) -> None:
    made = _link(runner, world, who, name)
    assert made.exit_code == code, (made.stdout, made.stderr)
    if code:
        assert len(made.stderr.strip().splitlines()) == 1 and "Traceback" not in made.stderr


def test_sessions_and_links_end_when_they_expire(world: dict[str, Any]) -> None:
    """The database compares the expiry with its own clock: 8 hours for a session, 15
    minutes for a link (issued here as if long ago)."""
    from datetime import timedelta

    from mpo.core.domain.clock import utcnow
    from mpo.core.usecases.web_sessions import sign_in, web_link

    app, token = SqlDatabase(world["url"]), world["tokens"]["bea"]
    long_ago = utcnow() - timedelta(hours=9)
    old = sign_in(app.acting(token), token, clock=lambda: long_ago)
    with pytest.raises(AuthError):
        session_actor(app.acting(old.secret), old.secret)
    fresh = sign_in(app.acting(token), token)
    assert session_actor(app.acting(fresh.secret), fresh.secret).name == "bea"
    bea = identity.authenticate(app.acting(token), token)
    stale = web_link(app.acting(token), bea, "bea", clock=lambda: utcnow() - timedelta(minutes=16))
    with pytest.raises(AuthError):
        redeem(app, stale.secret)

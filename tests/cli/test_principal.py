"""`mpo principal add | list | revoke | rotate`."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import MpoRunner


def test_agent_tokens_keep_the_seed_shape_and_carry_256_bits(runner: MpoRunner,
                                                            db: Path) -> None:
    added = runner.json("principal", "add", "marketplace-amazon", "--role", "agent",
                        "--marketplace", "amazon")
    assert re.fullmatch(r"marketplace-amazon-[A-Za-z0-9_-]{43}", added["token"])
    person = runner.json("principal", "add", "ana", "--role", "member")
    assert re.fullmatch(r"mpo_[A-Za-z0-9_-]{43}", person["token"])


def test_only_a_hash_of_the_token_is_stored(runner: MpoRunner, db: Path) -> None:
    token = runner.json("principal", "add", "ana", "--role", "member")["token"]
    assert token.encode() not in db.read_bytes()
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT token_hash FROM principal WHERE name = 'ana'").fetchone()
    import hashlib

    assert stored == hashlib.sha256(token.encode()).hexdigest()


def test_list_shows_principals_but_never_tokens_or_hashes(runner: MpoRunner, db: Path) -> None:
    runner.json("principal", "add", "ana", "--role", "member")
    listed = runner.json("principal", "list")
    assert [(p["name"], p["role"], p["active"]) for p in listed] == [
        ("ana", "member", True), ("root", "admin", True)]
    assert all("token" not in p and "token_hash" not in p for p in listed)


@pytest.mark.parametrize(("args", "field"), [
    (("--role", "agent"), "marketplace"),
    (("--role", "agent", "--marketplace", "ebay"), "marketplace"),
    (("--role", "viewer", "--marketplace", "amazon"), "marketplace"),
    (("--role", "boss"), "role"),
])
def test_bad_principals_are_refused_naming_the_field(runner: MpoRunner, db: Path,
                                                    args: tuple[str, ...], field: str) -> None:
    result = runner("principal", "add", "x", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {field}:")


def test_names_are_unique(runner: MpoRunner, db: Path) -> None:
    runner.json("principal", "add", "ana", "--role", "member")
    assert runner("principal", "add", "ana", "--role", "viewer").exit_code == 5


def test_rotation_replaces_the_token(runner: MpoRunner, db: Path) -> None:
    old = runner.json("principal", "add", "ana", "--role", "member")["token"]
    new = runner.json("principal", "rotate", "ana")["token"]
    assert new != old
    assert runner("list", env={"MPO_TOKEN": old}).exit_code == 4
    assert runner("list", env={"MPO_TOKEN": new}).exit_code == 0


def test_revocation_is_final_and_the_last_admin_stays(runner: MpoRunner, db: Path) -> None:
    runner.json("principal", "add", "ana", "--role", "member")
    revoked = runner.json("principal", "revoke", "ana")
    assert revoked["active"] is False and revoked["revoked_at"]
    assert runner("principal", "revoke", "ana").exit_code == 5
    last = runner("principal", "revoke", "root")
    assert last.exit_code == 5
    assert "last active admin" in last.stderr
    assert runner("principal", "revoke", "nobody").exit_code == 3

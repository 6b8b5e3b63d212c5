"""`mpo watch` ends when its principal is revoked (issue 22, finding 2): exit 4, on SQLite
as on PostgreSQL (as an app login), with no event delivered after the revocation."""

from __future__ import annotations

import json
import subprocess

from mpo.core.domain.validation import Rules
from mpo.core.usecases.identity import add_principal, revoke_principal
from mpo.store.database import SqlDatabase
from tests.cli.conftest import BIN, environment
from tests.conftest import MpoRunner
from tests.delivery.world import ROOT, World, world

__all__ = ["world"]  # fixtures


def test_a_revoked_principals_watch_ends(runner: MpoRunner, world: World) -> None:
    owner = SqlDatabase(world.url)
    token = add_principal(owner, ROOT, "vera-watch", "viewer", None, Rules()).token
    first = runner.json("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1")
    watch = subprocess.Popen(
        [str(BIN / "mpo"), "watch", "--since-event", "0", "--jsonl"], text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=environment(MPO_TOKEN=token, MPO_DATABASE_URL=world.app_url))
    try:
        assert watch.stdout is not None
        assert json.loads(watch.stdout.readline())["task_id"] == first["id"]  # it delivers
        revoke_principal(owner, ROOT, "vera-watch")
        runner.json("create", "-m", "amazon", "-t", "t2", "-c", "analysis", "-e", "1")
        code = watch.wait(timeout=60)
        rest = watch.stdout.read()
        errors = watch.stderr.read() if watch.stderr else ""
    finally:
        watch.kill()
        watch.wait()
    assert (code, rest) == (4, ""), errors
    assert "revoked" in errors

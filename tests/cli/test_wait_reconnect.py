"""`mpo wait` survives its LISTEN connection dropping on PostgreSQL (issue 22, finding 7):
the backend is terminated from another connection while it waits; it listens again,
reads again from where it was, and still sees the decision. As an app login."""

from __future__ import annotations

import subprocess
import time

import psycopg
import pytest

from mpo.core.domain.validation import Rules
from mpo.core.usecases.identity import add_principal
from mpo.store.database import SqlDatabase
from tests.cli.conftest import BIN, environment
from tests.conftest import MpoRunner
from tests.delivery.world import ROOT, World, world
from tests.pg_app import conninfo

__all__ = ["world"]  # fixtures

LISTENERS = ("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
             " AND query LIKE 'LISTEN %%' AND pid <> pg_backend_pid()")


def _listeners(admin: psycopg.Connection) -> list[int]:
    return [pid for (pid,) in admin.execute(LISTENERS).fetchall()]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_wait_listens_again_when_its_connection_drops(runner: MpoRunner, world: World) -> None:
    other = add_principal(SqlDatabase(world.url), ROOT, "ada", "admin", None, Rules()).token
    created = runner.json("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1",
                          "--created-by", "marketplace-amazon")
    assert runner("submit", created["id"]).exit_code == 0
    waiting = subprocess.Popen(
        [str(BIN / "mpo"), "wait", created["id"], "--for", "approved", "--timeout", "120s"],
        text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=environment(MPO_TOKEN=world.admin, MPO_DATABASE_URL=world.app_url))
    try:
        with psycopg.connect(conninfo(world.url), autocommit=True) as admin:
            while not (found := _listeners(admin)):  # until it listens
                assert waiting.poll() is None, waiting.stderr and waiting.stderr.read()
                time.sleep(0.05)
            admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) pid",
                          (found,))
            approved = runner("approve", created["id"], env={"MPO_TOKEN": other})
            assert approved.exit_code == 0, approved.stderr
        code = waiting.wait(timeout=120)
        errors = waiting.stderr.read() if waiting.stderr else ""
    finally:
        waiting.kill()
        waiting.wait()
    assert code == 0, errors

"""Row-level security for issue 13's verbs, as a NON-superuser login in `mpo_app`: agents
submit and cancel only their own proposals, templates and round-robin cursors are the
admins' (the master reads templates to tick), and the whole app runs through it."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.conftest import MpoRunner
from tests.store.test_rls import _as_app, app_role, world  # noqa: F401  (fixtures)


def test_an_agent_moves_its_own_proposal_only_to_submitted_or_cancelled(
    world: dict[str, Any],  # noqa: F811
) -> None:
    with _as_app(world) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["amazon"],))
        moved = conn.execute("UPDATE task SET status = 'awaiting_approval' "
                             "WHERE status = 'pending'")
        assert moved.rowcount == 1  # its own; the shopee task is invisible
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE task SET status = 'approved'")


def test_templates_and_cursors_are_out_of_reach_of_other_roles(
    world: dict[str, Any],  # noqa: F811
) -> None:
    with _as_app(world) as conn:
        conn.execute("SELECT * FROM mpo_authenticate(%s)", (world["tokens"]["amazon"],))
        assert conn.execute("SELECT count(*) FROM task_template").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO route_cursor (rule, position) VALUES ('x', 0)")


def test_the_new_verbs_work_through_row_level_security(
    runner: MpoRunner, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    monkeypatch.setenv("MPO_DATABASE_URL", world["url"])
    amazon = {"MPO_TOKEN": world["tokens"]["amazon"]}
    assert [r["to_status"] for r in runner.json("submit", "--mine", env=amazon)] == [
        "awaiting_approval"]
    shopee_task = world["tasks"]["shopee"]
    refused = runner("cancel", shopee_task, "--reason-code", "obsolete", env=amazon)
    assert refused.exit_code == 3, refused.stderr  # another marketplace's task is invisible
    cancelled = runner.json("cancel", world["tasks"]["amazon"], "--reason-code", "obsolete",
                            env=amazon)
    assert cancelled[0]["to_status"] == "cancelled"
    batch = cancelled[0]["batch_id"]
    assert runner.json("undo", batch)[0]["to_status"] == "awaiting_approval"
    runner("config", "set", "teams", '{"Ads": ["ana", "bea"]}')
    runner("config", "set", "routing", '[{"name": "all", "team": "Ads"}]')
    runner("config", "set", "auto_assign", "true")
    rows = runner.json("approve", "--all")
    assert [r["to_status"] for r in rows if r["action"] == "assign"] == ["in_progress"]
    runner.json("template", "add", "weekly", "-m", "amazon", "-t", "Weekly audit", "-c",
                "analysis", "-e", "1", "--every", "0 9 * * 1")
    assert runner("tick").exit_code == 0
    assert runner.json("status")["queue"]["in_progress"] == 1

"""`mpo claim`, `heartbeat`, `release`, `note` and lost leases (docs/claim.md), through the
CLI on SQLite and on PostgreSQL as an `mpo_app` login: what each exits with, what the task
row and its history hold after."""

from __future__ import annotations

import json
from typing import Any

from tests.claim_world import SHOPEE, actions, approved, as_, row, run_out
from tests.claim_world import postgres_world as postgres_world  # the module's fixture
from tests.claim_world import world as world
from tests.conftest import MpoRunner

AGENTS_TOO = json.dumps([{"roles": ["member", "admin"]},
                         {"principals": ["marketplace-amazon"], "category": ["analysis"]}])


def test_a_claim_takes_the_oldest_free_task_then_the_next_then_exits_3(
    runner: MpoRunner, world: dict[str, Any]
) -> None:
    first, second = approved(world, 2)
    claimed = runner.json("claim", "--lease", "10m", env=as_(world, "ana"))
    assert (claimed["id"], claimed["status"], claimed["assigned_to"]) == (
        first, "in_progress", "ana")
    assert claimed["lease_expires_at"] is not None
    assert row(world, first)["assigned_by"] == "ana"
    assert actions(world, first)[-1] == ("claim", "ana")
    assert runner.json("claim", env=as_(world, "bea"))["id"] == second

    nothing = runner("claim", env=as_(world, "bea"))
    assert nothing.exit_code == 3, nothing.stderr
    assert "nothing to claim" in nothing.stderr
    waited = runner("claim", "--wait", "0.2s", env=as_(world, "bea"))
    assert waited.exit_code == 8, waited.stderr


def test_filters_and_order_choose_what_is_claimed(runner: MpoRunner,
                                                  world: dict[str, Any]) -> None:
    old_low = approved(world, priority="low", tags=["geo"])[0]
    optimise = approved(world, category="optimization", priority="high")[0]
    assert runner.json("claim", "--category", "optimization",
                       env=as_(world, "ana"))["id"] == optimise
    assert runner("claim", "--tag", "nothing-has-it", env=as_(world, "ana")).exit_code == 3
    assert runner.json("claim", "--tag", "geo", env=as_(world, "ana"))["id"] == old_low
    low, high = approved(world, priority="low")[0], approved(world, priority="high")[0]
    assert runner.json("claim", "--order", "priority", env=as_(world, "bea"))["id"] == high
    assert runner.json("claim", env=as_(world, "bea"))["id"] == low
    bad = runner("claim", "--marketplace", "ebay", env=as_(world, "ana"))
    assert bad.exit_code == 2 and "marketplace" in bad.stderr


def test_who_may_claim_is_the_executors_rules(runner: MpoRunner, world: dict[str, Any]) -> None:
    approved(world, category="analysis")
    shopee = approved(world, creator=SHOPEE)[0]
    viewer = runner("claim", env=as_(world, "viewer"))
    assert viewer.exit_code == 4, viewer.stderr
    agent = runner("claim", env=as_(world, "agent"))
    assert agent.exit_code == 4 and "no executors rule names it" in agent.stderr
    named = as_(world, "agent", MPO_EXECUTORS=AGENTS_TOO)
    claimed = runner.json("claim", env=named)
    assert (claimed["assigned_to"], claimed["marketplace"]) == ("marketplace-amazon", "amazon")
    assert runner("claim", env=named).exit_code == 3  # shopee's is not its marketplace
    other = runner("claim", "--marketplace", "shopee", env=named)
    assert other.exit_code == 4, other.stderr
    done = runner("complete", claimed["id"], "--actual-hours", "1", env=named)
    assert done.exit_code == 0, done.stderr
    assert row(world, shopee)["status"] == "approved"


def test_heartbeat_note_and_release(runner: MpoRunner, world: dict[str, Any]) -> None:
    task = approved(world)[0]
    claimed = runner.json("claim", "--lease", "1m", env=as_(world, "ana"))
    beat = runner.json("heartbeat", task, "--lease", "2h", env=as_(world, "ana"))
    assert beat[0]["outcome"] == "changed"
    assert runner.json("show", task)["lease_expires_at"] > claimed["lease_expires_at"]
    assert runner("heartbeat", task, env=as_(world, "bea")).exit_code == 4  # not bea's
    assert runner("note", task, "half done", env=as_(world, "ana")).exit_code == 0
    assert runner("note", task, "mine now", env=as_(world, "bea")).exit_code == 4
    shown = runner.json("show", task)
    assert [(e["action"], e["reason"]) for e in shown["history"]][-2:] == [
        ("heartbeat", None), ("note", "half done")]
    bad = runner("heartbeat", task, "--lease", "forever", env=as_(world, "ana"))
    assert bad.exit_code == 2 and "lease" in bad.stderr
    assert runner("release", task, env=as_(world, "ana")).exit_code == 0
    back = row(world, task)
    assert (back["status"], back["assigned_to"], back["lease_expires_at"]) == (
        "approved", None, None)
    assert runner.json("claim", env=as_(world, "bea"))["id"] == task


def test_a_lost_lease_returns_on_the_next_claim_and_its_executor_cannot_report(
    runner: MpoRunner, world: dict[str, Any]
) -> None:
    task = approved(world)[0]
    runner.json("claim", env=as_(world, "ana"))
    run_out(world, task)
    for verb in (["complete", task, "--actual-hours", "1"], ["heartbeat", task],
                 ["note", task, "late"]):
        late = runner(*verb, env=as_(world, "ana"))
        assert late.exit_code == 5, (verb, late.stderr)
        assert "lease of ana ran out" in late.stderr
    again = runner.json("claim", env=as_(world, "bea"))
    assert (again["id"], again["assigned_to"]) == (task, "bea")
    assert actions(world, task)[-2:] == [("lease_expired", "bea"), ("claim", "bea")]
    late = runner("complete", task, "--actual-hours", "1", env=as_(world, "ana"))
    assert late.exit_code == 4, late.stderr  # bea's now
    assert runner("complete", task, "--actual-hours", "1", env=as_(world, "bea")).exit_code == 0
    assert row(world, task)["completed_by"] == "bea"


def test_expire_returns_lost_leases(runner: MpoRunner, world: dict[str, Any]) -> None:
    task, kept = approved(world, 2)
    runner.json("claim", env=as_(world, "ana"))
    runner.json("claim", env=as_(world, "bea"))
    run_out(world, task)
    preview = runner("expire", "--dry-run")
    assert preview.exit_code == 0 and row(world, task)["status"] == "in_progress"
    done = runner.json("expire")
    assert [(r["id"], r["action"]) for r in done] == [(task, "lease_expired")]
    assert row(world, task)["status"] == "approved"
    assert row(world, kept)["status"] == "in_progress"
    assert actions(world, task)[-1] == ("lease_expired", "root")


def test_status_shows_who_holds_what_and_for_how_long(runner: MpoRunner,
                                                      world: dict[str, Any]) -> None:
    held, lost = approved(world, 2)
    runner.json("claim", "--lease", "1h", env=as_(world, "ana"))
    runner.json("claim", env=as_(world, "bea"))
    run_out(world, lost)
    report = runner.json("status")
    claims = {c["task_id"]: c for c in report["claims"]}
    assert (claims[held]["holder"], claims[lost]["holder"]) == ("ana", "bea")
    assert 0 < claims[held]["lease_left_s"] <= 3600 and claims[lost]["lease_left_s"] <= 0
    assert [a["value"] for a in report["alerts"] if a["alert"] == "lost_leases"] == [1]
    table = runner("status")
    assert table.exit_code == 0 and f"{held}\twork 0\tamazon\tana\t" in table.stdout


def test_a_claim_that_waits_takes_a_lease_that_runs_out_meanwhile(
    runner: MpoRunner, world: dict[str, Any]
) -> None:
    """No event announces a lease running out: the wait ends for the soonest one too."""
    task = approved(world)[0]
    runner.json("claim", "--lease", "1s", env=as_(world, "ana"))
    again = runner.json("claim", "--wait", "60s", env=as_(world, "bea"))
    assert (again["id"], again["assigned_to"]) == (task, "bea")
    assert actions(world, task)[-2:] == [("lease_expired", "bea"), ("claim", "bea")]

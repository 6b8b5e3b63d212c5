"""Consumer cursors belong to the principal that made them, and a webhook's cursor is its
own (issue 22, finding 1): a name claimed first by someone else silences nobody."""

from __future__ import annotations

from mpo.auth import secrets
from mpo.core.usecases import stream
from tests.conftest import MpoRunner
from tests.delivery.receivers import Receiver, receiver
from tests.delivery.world import AGENT, ROOT, World, world

__all__ = ["receiver", "world"]  # fixtures

FAR = 2_000_000_000  # far ahead (int4 still: `task_event.id` is int4 on PostgreSQL)


def test_a_squatted_consumer_name_silences_neither_a_webhook_nor_an_admin(
        runner: MpoRunner, world: World, receiver: Receiver) -> None:
    agent_db = world.db(world.agent)
    for name in ("webhook-1", "ops"):  # `mpo watch --consumer NAME --since-event FAR`
        assert stream.start_of(agent_db, AGENT, name, FAR) == FAR
    secrets.store("squat-hook", receiver.secret)
    added = runner.json("webhook", "add", receiver.url, "--secret-from-keyring", "squat-hook")
    assert added["id"] == 1
    runner.json("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1")
    delivered = runner("deliver", "--max-time", "5")
    assert delivered.exit_code == 0, delivered.stderr
    assert "queued 1, delivered 1" in delivered.stderr
    assert [e["type"] for e in receiver.seen.values()] == ["task.create"]
    admin_db = world.db(world.admin)
    assert stream.start_of(admin_db, ROOT, "ops", None) < FAR  # the admin's own "ops": now
    assert stream.start_of(agent_db, AGENT, "ops", None) == FAR  # the agent's, untouched

"""Imported history is not news, and a channel that fails is not silent (issue 22,
finding 18): `mpo import` fires no shell hook and queues nothing for a webhook, on both
databases; `mpo notify` exits 11 naming the channel that failed."""

from __future__ import annotations

from pathlib import Path

from mpo.auth import secrets
from mpo.config import paths
from mpo.core.usecases import identity
from mpo.store.database import SqlDatabase
from tests.conftest import MpoRunner
from tests.delivery.receivers import Receiver, receiver
from tests.delivery.test_notify import _free_port
from tests.delivery.world import World, world
from tests.migrated import upgrade
from tests.team import add_members

__all__ = ["receiver", "world"]  # fixtures


def test_an_import_fires_no_hook_and_no_webhook(runner: MpoRunner, world: World,
                                               receiver: Receiver, tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    upgrade(source)
    token = identity.bootstrap_admin(SqlDatabase(source), "root") or ""
    add_members(source)
    made = {"MPO_DATABASE_URL": source, "MPO_TOKEN": token}
    for title in ("old", "older"):
        assert runner("create", "-m", "amazon", "-t", title, "-c", "analysis", "-e", "1",
                      env=made).exit_code == 0
    exported = runner("export", env=made)
    assert exported.exit_code == 0, exported.stderr
    history = tmp_path / "all.jsonl"
    history.write_text(exported.stdout)

    fired = tmp_path / "fired"
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text(f'[[hooks]]\non = ["create"]\n'
                                   f'command = "cat >> {fired}"\n')
    secrets.store("history-hook", receiver.secret)
    runner.json("webhook", "add", receiver.url, "--secret-from-keyring", "history-hook")
    owner = {"MPO_DATABASE_URL": world.url}  # PostgreSQL: import as the owner
    imported = runner("import", str(history), env=owner)
    assert imported.exit_code == 0, imported.stderr
    assert not fired.exists()  # no hook for the imported history
    runner.json("create", "-m", "amazon", "-t", "news", "-c", "analysis", "-e", "1")
    assert fired.read_text().count('"task.create"') == 1  # hooks still fire for news
    delivered = runner("deliver", "--max-time", "5")
    assert "queued 1, delivered 1" in delivered.stderr, delivered.stderr
    assert [e["data"]["task"]["title"] for e in receiver.seen.values()] == ["news"]


def test_notify_exits_11_naming_the_channel_that_failed(runner: MpoRunner, db: Path) -> None:
    paths.config_file().write_text(
        paths.config_file().read_text() + '\n[[channels]]\nname = "ops"\nemail = "ops@x.org"\n'
        'quiet_hours = ""\n')
    closed = f"smtp://127.0.0.1:{_free_port()}"  # nobody listens there
    for key, value in (("smtp_url", closed), ("digest_time", "00:00")):
        assert runner("config", "set", key, value).exit_code == 0
    task = runner.json("create", "-m", "amazon", "-t", "t", "-c", "analysis", "-e", "1",
                       "--created-by", "marketplace-amazon")
    assert runner("submit", task["id"]).exit_code == 0
    sent = runner("notify", "--json")
    assert sent.exit_code == 11
    assert "error: notify: failed on channel ops: " in sent.stderr

"""Moving a database back to an older schema revision, as an older mpo would have left it."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from mpo.config import urls
from mpo.store.engine import make_engine
from mpo.store.migrate import MIGRATIONS
from mpo.store.migrations import HEAD


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def previous_revision() -> str:
    """The revision just before HEAD."""
    head = ScriptDirectory.from_config(_config()).get_revision(HEAD)
    assert head is not None and isinstance(head.down_revision, str)
    return head.down_revision


def downgrade(url: str, revision: str) -> None:
    """Run the migrations' own downgrades until the database is at `revision`."""
    engine = make_engine(urls.normalise(url))
    try:
        with engine.begin() as connection:
            config = _config()
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()

"""Database set-up: `mpo init` and `mpo db upgrade|current`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from mpo.cli.context import current
from mpo.cli.options import output_options
from mpo.cli.output import Output
from mpo.core.fields import FieldSet

if TYPE_CHECKING:
    from mpo.config.settings import Settings

app = typer.Typer()
db_app = typer.Typer(help="Database schema: upgrade it, or show its revision.")
app.add_typer(db_app, name="db", rich_help_panel="Setup")

SETUP = FieldSet("setup", all=("database", "config", "revision", "previous_revision"),
                 default=("database", "config", "revision"))


def _report(out: Output, settings: Settings, revision: str | None,
            previous: str | None = None) -> None:
    from mpo.store import urls

    out.record({"database": urls.redact(settings.database_url),
                "config": str(settings.config_path), "revision": revision,
                "previous_revision": previous})


@app.command(rich_help_panel="Setup")
@output_options(SETUP)
def init(*, out: Output) -> None:
    """Create (or upgrade) the database and the config file, and print where they live.

    Example: mpo init
    """
    from mpo.config import file
    from mpo.store import urls
    from mpo.store.migrate import upgrade

    settings = current().settings
    before, after = upgrade(settings.database_url)
    if not settings.config_path.exists():
        profile: dict[str, object] = {}
        if not urls.has_password(settings.database_url):
            profile["database_url"] = settings.database_url
        file.save(settings.config_path, {"default_profile": settings.profile,
                                         "profiles": {settings.profile: profile}})
    _report(out, settings, after, before)


@db_app.command("upgrade")
@output_options(SETUP)
def upgrade_(*, out: Output) -> None:
    """Apply pending schema migrations (safe to run concurrently).

    Example: mpo db upgrade
    """
    from mpo.store.migrate import upgrade

    settings = current().settings
    before, after = upgrade(settings.database_url)
    _report(out, settings, after, before)


@db_app.command("current")
@output_options(SETUP)
def current_(*, out: Output) -> None:
    """Print the schema revision the database is at (empty when uninitialised).

    Example: mpo db current
    """
    from mpo.store.migrate import current as revision

    settings = current().settings
    _report(out, settings, revision(settings.database_url))


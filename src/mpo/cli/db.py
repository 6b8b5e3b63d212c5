"""Database set-up: `mpo init` and `mpo db upgrade|current`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mpo.cli.context import current
from mpo.cli.options import output_options
from mpo.cli.output import Output, message
from mpo.report.fields import FieldSet

if TYPE_CHECKING:
    from mpo.config.settings import Settings

app = typer.Typer()
db_app = typer.Typer(help="Database schema: upgrade it, or show its revision.")
app.add_typer(db_app, name="db", rich_help_panel="Setup")

SETUP = FieldSet("setup", all=("database", "config", "revision", "previous_revision"),
                 default=("database", "config", "revision"))
INIT = FieldSet("init", all=(*SETUP.all, "admin", "credential", "admin_token"),
                default=("database", "config", "revision", "admin", "credential"))


def _setup_row(settings: Settings, revision: str | None,
               previous: str | None = None) -> dict[str, object]:
    from mpo.config import urls

    return {"database": urls.redact(settings.database_url),
            "config": str(settings.config_path), "revision": revision,
            "previous_revision": previous}


@app.command(rich_help_panel="Setup")
@output_options(INIT)
def init(
    admin: Annotated[str | None, typer.Option(
        "--admin", metavar="NAME", help="Name of the first admin (default: your user name).")
    ] = None,
    insecure_storage: Annotated[bool, typer.Option(
        "--insecure-storage", help="Keep the admin token in a 0600 plain-text file when "
        "there is no OS keyring.")] = False,
    *,
    out: Output,
) -> None:
    """Create (or upgrade) the database and config, create the first admin and keep its
    token in the keyring; print where everything lives.

    Example: mpo init
    """
    import getpass

    from mpo.auth.credentials import save
    from mpo.config import env, file, urls
    from mpo.core.domain.errors import AuthError
    from mpo.core.usecases.identity import bootstrap_admin
    from mpo.store.migrate import upgrade

    app_ctx = current()
    settings = app_ctx.settings
    before, after = upgrade(settings.database_url)
    if not settings.config_path.exists():
        profile: dict[str, object] = {}
        if not urls.has_password(settings.database_url):
            profile["database_url"] = settings.database_url
        file.save(settings.config_path, {"default_profile": settings.profile,
                                         "profiles": {settings.profile: profile}})
    name = admin or getpass.getuser()
    token = bootstrap_admin(app_ctx.open_database(), name)
    row = _setup_row(settings, after, before) | {"admin": name if token else None}
    if token is None:
        row |= (_keep_given_token() if insecure_storage else
                {"credential": "unchanged (principals already exist)"})
    else:
        try:
            row["credential"] = save(settings.database_url, "admin", token,
                                     insecure_storage=insecure_storage)
        except AuthError as exc:
            message(f"{exc.message}.\nThe admin token is printed below, this once. Keep it "
                    f"with one of (each works afterwards, as printed):\n"
                    f"  mpo init --insecure-storage    # paste the token, then Ctrl-D\n"
                    f"  export {env.TOKEN}=<admin_token>    # this shell only")
            row["credential"] = "not stored"
            row["admin_token"] = token
            out = Output(out.mode, (*out.fields, "admin_token"))
    out.record(row)


def _keep_given_token() -> dict[str, object]:
    """`mpo init --insecure-storage` after the first init (which found no keyring): keep
    the token given (--token-file, MPO_TOKEN, else stdin) in the 0600 file, once it is
    checked against the database. The first admin's token is never minted twice."""
    import os
    import sys

    from mpo.auth.credentials import read_token_file, save
    from mpo.config import env
    from mpo.core.domain.errors import UsageError
    from mpo.core.usecases.identity import authenticate

    app_ctx = current()
    if app_ctx.token_file is not None:
        token = read_token_file(app_ctx.token_file)
    elif os.environ.get(env.TOKEN):
        token = os.environ[env.TOKEN].strip()
    else:
        if sys.stdin.isatty():
            message("The database already has its admin: paste the admin token the first "
                    "`mpo init` printed, then Ctrl-D")
        try:
            token = read_token_file("-")
        except UsageError:
            raise UsageError("init: principals already exist; to keep the admin token the "
                             "first init printed, give it on stdin (paste it, then Ctrl-D): "
                             "`mpo init --insecure-storage`") from None
    actor = authenticate(app_ctx.open_database(token), token)
    where = save(app_ctx.settings.database_url, actor.role, token, insecure_storage=True)
    return {"admin": actor.name, "credential": where}


@db_app.command("upgrade")
@output_options(SETUP)
def upgrade_(*, out: Output) -> None:
    """Apply pending schema migrations (safe to run concurrently).

    Example: mpo db upgrade
    """
    from mpo.store.migrate import upgrade

    settings = current().settings
    before, after = upgrade(settings.database_url)
    out.record(_setup_row(settings, after, before))


@db_app.command("current")
@output_options(SETUP)
def current_(*, out: Output) -> None:
    """Print the schema revision the database is at (empty when uninitialised).

    Example: mpo db current
    """
    from mpo.store.migrate import current as revision

    settings = current().settings
    out.record(_setup_row(settings, revision(settings.database_url)))



@db_app.command("backup")
def backup(
    path: Annotated[str, typer.Argument(metavar="PATH", help="Where to write the copy.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite PATH if it exists.")
                     ] = False,
) -> None:
    """Copy the live SQLite database to PATH, consistently, without stopping writers
    (admins only). On PostgreSQL, use pg_dump.

    Example: mpo db backup mpo-$(date +%F).db
    """
    from pathlib import Path

    from mpo.config.urls import is_sqlite
    from mpo.core.usecases.transfer import require_backup
    from mpo.store.backup import backup_sqlite

    app_ctx = current()
    if is_sqlite(app_ctx.settings.database_url):
        require_backup(app_ctx.database, app_ctx.actor)
    pages = backup_sqlite(app_ctx.settings.database_url, Path(path).expanduser(), force=force)
    message(f"backed up {pages} pages to {path}")

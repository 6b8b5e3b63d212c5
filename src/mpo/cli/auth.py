"""Credentials on this machine: `mpo auth login | logout | status`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from mpo.cli.context import current
from mpo.cli.options import output_options
from mpo.cli.output import Output, message
from mpo.core.domain.errors import MpoError, UsageError
from mpo.core.domain.permissions import Role
from mpo.report.fields import FieldSet

if TYPE_CHECKING:
    from mpo.auth.credentials import Credential

app = typer.Typer()
auth_app = typer.Typer(help="Credentials for this database: log in with a token, log out, "
                       "show what is stored.", no_args_is_help=True)
app.add_typer(auth_app, name="auth", rich_help_panel="Access")

LOGIN = FieldSet("login", all=("principal", "role", "marketplace", "stored_in"),
                 default=("principal", "role", "marketplace", "stored_in"))
CREDENTIALS = FieldSet(
    "credential",
    all=("role", "principal", "marketplace", "valid", "source", "in_use", "backend"),
    default=("role", "principal", "valid", "source", "in_use"),
)
ROLES = [r.value for r in Role]


@auth_app.command()
@output_options(LOGIN)
def login(
    role: Annotated[str | None, typer.Option(
        "--role", help="Expect the token to be of this role (checked against the database).")
    ] = None,
    with_token: Annotated[bool, typer.Option(
        "--with-token", help="Read the token from stdin (required: never put it on argv).")
    ] = False,
    insecure_storage: Annotated[bool, typer.Option(
        "--insecure-storage", help="Keep the token in a 0600 plain-text file instead of the "
        "OS keyring (for servers with no keyring).")] = False,
    *,
    out: Output,
) -> None:
    """Check a token against the database and keep it for its role.

    Example: mpo auth login --role admin --with-token < admin.token
    """
    from mpo.auth.credentials import read_token_file, save
    from mpo.core.usecases.identity import authenticate

    if not with_token:
        raise UsageError("auth login reads the token from stdin: "
                         "`mpo auth login --with-token < FILE` (never pass it as an argument)")
    app_ctx = current()
    token = read_token_file("-")
    actor = authenticate(app_ctx.open_database(token), token, expect_role=role)
    where = save(app_ctx.settings.database_url, actor.role, token,
                 insecure_storage=insecure_storage)
    out.record({"principal": actor.name, "role": actor.role, "marketplace": actor.marketplace,
                "stored_in": where})


@auth_app.command()
def logout(
    role: Annotated[str | None, typer.Option(
        "--role", help="The role to forget (default: --as, else the default role).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Forget every role's token.")] = False,
) -> None:
    """Forget the stored token of a role (or all roles) for this database.

    Example: mpo auth logout --role admin
    """
    from mpo.auth.credentials import forget

    settings = current().settings
    for chosen in ROLES if all_ else [role or settings.default_role]:
        places = forget(settings.database_url, chosen)
        message(f"{chosen}: " + (f"removed from {', '.join(places)}" if places
                                 else "nothing stored"))


@auth_app.command()
@output_options(CREDENTIALS)
def status(*, out: Output) -> None:
    """Show every stored role for this database, where each came from, and the keyring.

    Example: mpo auth status
    """
    from mpo.auth import credentials
    from mpo.config import urls

    app_ctx = current()
    settings = app_ctx.settings
    chosen = credentials.backend()
    found: list[tuple[str | None, Credential]] = [
        (r, c) for r, c in zip(ROLES, credentials.stored(settings.database_url, ROLES),
                               strict=True) if c is not None]
    try:
        active: Credential | None = app_ctx.credential
    except MpoError:
        active = None
    if active is not None:
        # The credential in use comes first, once: a stored one is not listed again.
        stored_too = [pair for pair in found if pair[1].token == active.token]
        found = stored_too + [pair for pair in found if pair not in stored_too]
        if not stored_too:
            found.insert(0, (None, active))
    rows = [_describe(label, credential, active, chosen.describe())
            for label, credential in found]
    message(f"database: {urls.redact(settings.database_url)}")
    message(f"keyring backend: {chosen.describe()}")
    if not rows:
        message("no credentials stored; run `mpo auth login --with-token`")
    out.rows(rows)


def _describe(label: str | None, credential: Credential, active: Credential | None,
              backend: str) -> dict[str, Any]:
    """One credential's row; `label` None for one not stored (its role is the database's)."""
    from mpo.core.usecases.identity import authenticate

    row: dict[str, Any] = {"role": label, "source": credential.source, "backend": backend,
                           "in_use": active is not None and credential.token == active.token}
    try:
        actor = authenticate(current().open_database(credential.token), credential.token)
        row |= {"principal": actor.name, "marketplace": actor.marketplace, "valid": True}
        row["role"] = actor.role if label is None else label
    except MpoError:
        row["valid"] = False
    return row


WEB_LINK = FieldSet("web_link", all=("principal", "link", "expires_at"),
                    default=("principal", "link", "expires_at"))


@auth_app.command("web-link")
@output_options(WEB_LINK)
def web_link(
    name: Annotated[str, typer.Argument(help="The person to sign in (admins: anyone; "
                                              "others: themselves).")],
    url: Annotated[str | None, typer.Option(
        "--url", metavar="URL", help="Where browsers reach `mpo serve` (default: the "
        "public_url setting, else http://127.0.0.1:8765).")] = None,
    *,
    out: Output,
) -> None:
    """Print a one-time link that signs NAME in to the web pages of `mpo serve`.

    The link works once, for 15 minutes; its code sits after `#`, so it never reaches a
    server log.

    Example: mpo auth web-link bea --url https://mpo.example.com
    """
    from mpo.core.usecases.web_sessions import web_link as mint

    app_ctx = current()
    base = url or app_ctx.settings.public_url or "http://127.0.0.1:8765"
    opened = mint(app_ctx.database, app_ctx.actor, name)
    out.record({"principal": opened.principal,
                "link": f"{base.rstrip('/')}/web/signin#link={opened.secret}",
                "expires_at": opened.expires_at.isoformat(timespec="seconds")})

"""Principals (admins only): `mpo principal add | list | revoke | rotate | bind-cert | move`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import output_options
from mpo.cli.output import Output, message
from mpo.core.domain.errors import UsageError
from mpo.core.domain.permissions import Role
from mpo.report.fields import FieldSet

if TYPE_CHECKING:
    from mpo.core.tables.models import Principal
    from mpo.core.usecases.identity import Minted

app = typer.Typer()
principal_app = typer.Typer(help="Principals and their tokens: agents, master, admins, "
                            "members, viewers (admin only).", no_args_is_help=True)
app.add_typer(principal_app, name="principal", rich_help_panel="Access")

PRINCIPAL = FieldSet(
    "principal",
    all=("name", "role", "marketplace", "active", "created_at", "created_by",
         "token_rotated_at", "revoked_at", "cert_fingerprint", "team"),
    default=("name", "role", "marketplace", "active", "created_at", "revoked_at"),
)
#: A minting command's output: the principal and its token, shown this once.
MINTED = FieldSet("minted", all=(*PRINCIPAL.all, "token"),
                  default=("name", "role", "marketplace", "token"))


def principal_row(principal: Principal) -> dict[str, Any]:
    return {
        "name": principal.name, "role": principal.role, "marketplace": principal.marketplace,
        "active": principal.revoked_at is None, "created_at": principal.created_at,
        "created_by": principal.created_by, "token_rotated_at": principal.token_rotated_at,
        "revoked_at": principal.revoked_at, "cert_fingerprint": principal.cert_fingerprint,
        "team": principal.team or "default",
    }


def _show_minted(out: Output, minted: Minted) -> None:
    out.record(principal_row(minted.principal) | {"token": minted.token})
    message("the token is shown only now: hand it over securely (MPO_TOKEN, or "
            "`mpo auth login --with-token`)")


@principal_app.command()
@output_options(MINTED)
def add(
    name: Annotated[str, typer.Argument(help="Unique name, e.g. marketplace-amazon or ana.")],
    role: Annotated[str, typer.Option(
        "--role", help=f"One of {', '.join(Role)}.")],
    marketplace: Annotated[str | None, typer.Option(
        "--marketplace", "-m", help="Required for agents: the one marketplace they act for.",
        autocompletion=values.marketplaces)] = None,
    cert_fingerprint: Annotated[str | None, typer.Option(
        "--cert-fingerprint", metavar="SHA256", help="Bind the token to this client "
        "certificate (its SHA-256, as `openssl x509 -noout -fingerprint -sha256` prints it): "
        "accepted only over mutual TLS with it.")] = None,
    team: Annotated[str | None, typer.Option(
        "--team", help="Its team (mpo team list); default: the default team, every "
        "marketplace.")] = None,
    *,
    out: Output,
) -> None:
    """Add a principal and print its token, once.

    Example: mpo principal add marketplace-amazon --role agent --marketplace amazon
    """
    from mpo.core.usecases.identity import add_principal

    app_ctx = current()
    _show_minted(out, add_principal(app_ctx.database, app_ctx.actor, name, role,
                                    marketplace, app_ctx.rules, cert_fingerprint, team))


@principal_app.command("list")
@output_options(PRINCIPAL)
def list_(*, out: Output) -> None:
    """List principals (never their tokens).

    Example: mpo principal list
    """
    from mpo.core.usecases.identity import list_principals

    app_ctx = current()
    out.rows(principal_row(p) for p in list_principals(app_ctx.database, app_ctx.actor))


@principal_app.command()
@output_options(PRINCIPAL)
def revoke(
    name: Annotated[str, typer.Argument(help="The principal whose token stops working.")],
    *,
    out: Output,
) -> None:
    """Revoke a principal: its token stops working at once.

    Example: mpo principal revoke marketplace-shein
    """
    from mpo.core.usecases.identity import revoke_principal

    app_ctx = current()
    out.record(principal_row(revoke_principal(app_ctx.database, app_ctx.actor, name)))


@principal_app.command()
@output_options(MINTED)
def rotate(
    name: Annotated[str, typer.Argument(help="The principal (admins: anyone; others: self).")],
    *,
    out: Output,
) -> None:
    """Replace a principal's token; the old one stops working. Prints the new one, once.

    Example: mpo principal rotate marketplace-amazon
    """
    from mpo.core.usecases.identity import rotate_token

    app_ctx = current()
    _show_minted(out, rotate_token(app_ctx.database, app_ctx.actor, name))


@principal_app.command("bind-cert")
@output_options(PRINCIPAL)
def bind_cert(
    name: Annotated[str, typer.Argument(help="The principal whose token is bound.")],
    cert: Annotated[Path | None, typer.Argument(
        help="Its client certificate (PEM), signed by the CA `mpo serve --ssl-ca-certs` "
        "trusts.", dir_okay=False)] = None,
    clear: Annotated[bool, typer.Option(
        "--clear", help="Unbind: the token works without a certificate again.")] = False,
    *,
    out: Output,
) -> None:
    """Bind a principal's token to its client certificate: from then on the token is
    accepted only over HTTPS connections presenting that certificate (docs/security.md),
    so a stolen token alone is useless; not on the command line either.

    Example: mpo principal bind-cert marketplace-amazon amazon.pem
    """
    from mpo.core.usecases.identity import bind_certificate

    if (cert is not None) == clear:
        raise UsageError("cert: give the certificate file (PEM) or --clear, one of them")
    pem = None
    if cert is not None:
        try:
            pem = cert.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UsageError(f"cert: cannot read {cert}: {exc.strerror}") from None
    app_ctx = current()
    out.record(principal_row(bind_certificate(app_ctx.database, app_ctx.actor, name, pem)))


@principal_app.command()
@output_options(PRINCIPAL)
def move(
    name: Annotated[str, typer.Argument(help="The principal that changes team.")],
    team: Annotated[str, typer.Option("--team", help="Its new team (mpo team list).")],
    *,
    out: Output,
) -> None:
    """Move a principal to another team (organisation-wide admins).

    Example: mpo principal move ana --team asia
    """
    from mpo.core.usecases.teams import move_principal

    app_ctx = current()
    out.record(principal_row(move_principal(app_ctx.database, app_ctx.actor, name, team)))

"""Teams (issue 25): `mpo team add | list | members`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from mpo.cli.context import current
from mpo.cli.options import output_options
from mpo.cli.output import Output
from mpo.cli.principal import PRINCIPAL, principal_row
from mpo.report.fields import FieldSet

if TYPE_CHECKING:
    from mpo.core.usecases.teams import TeamRow

app = typer.Typer()
team_app = typer.Typer(help="Teams: which marketplaces' work a team's people decide and do "
                       "(docs/team.md).", no_args_is_help=True)
app.add_typer(team_app, name="team", rich_help_panel="Access")

TEAM = FieldSet("team", all=("name", "marketplaces", "members", "created_at", "created_by"),
                default=("name", "marketplaces", "members"))


def _row(team: TeamRow) -> dict[str, Any]:
    return {"name": team.name,
            "marketplaces": "*" if team.marketplaces is None else ",".join(team.marketplaces),
            "members": team.members, "created_at": team.created_at,
            "created_by": team.created_by}


@team_app.command()
@output_options(TEAM)
def add(
    name: Annotated[str, typer.Argument(help="Unique team name, e.g. asia.")],
    marketplaces: Annotated[str, typer.Option(
        "--marketplaces", help="The marketplaces its people decide and do, comma-separated.")],
    *,
    out: Output,
) -> None:
    """Add a team covering some marketplaces (organisation-wide admins).

    Example: mpo team add asia --marketplaces shopee,lazada
    """
    from mpo.core.usecases.teams import add_team

    app_ctx = current()
    out.record(_row(add_team(app_ctx.database, app_ctx.actor, name, marketplaces,
                             app_ctx.rules)))


@team_app.command("list")
@output_options(TEAM)
def list_(*, out: Output) -> None:
    """List the teams and the marketplaces each covers (`*`: every one).

    Example: mpo team list
    """
    from mpo.core.usecases.teams import list_teams

    app_ctx = current()
    out.rows(_row(t) for t in list_teams(app_ctx.database, app_ctx.actor))


@team_app.command()
@output_options(PRINCIPAL)
def members(
    name: Annotated[str, typer.Argument(help="The team (default: everyone in no other).")],
    *,
    out: Output,
) -> None:
    """List a team's principals (admins; a team's admin: its own team).

    Example: mpo team members default
    """
    from mpo.core.usecases.teams import members as team_members

    app_ctx = current()
    out.rows(principal_row(p) for p in team_members(app_ctx.database, app_ctx.actor, name))

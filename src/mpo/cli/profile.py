"""`mpo profile list|add|use|remove`: named sets of settings, such as a team's database.

`use` sets the top-level `default_profile`; `--profile NAME` or `MPO_PROFILE` picks one
for a single run. The rules live in `mpo.config.edit`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import output_options
from mpo.cli.output import Output, message
from mpo.report.fields import FieldSet

app = typer.Typer()
profile_app = typer.Typer(help="Named sets of settings: add one, make it the default, "
                          "remove it.")
app.add_typer(profile_app, name="profile", rich_help_panel="Setup")

PROFILE = FieldSet("profile", all=("name", "default", "active", "database_url", "keys"),
                   default=("name", "default", "active", "database_url"))

NameArgument = Annotated[str, typer.Argument(
    metavar="NAME", help="Profile name.", autocompletion=values.profile_names,
    show_default=False)]


@profile_app.command("list")
@output_options(PROFILE)
def list_(*, out: Output) -> None:
    """List the profiles: which is the default and which this run uses.

    Example: mpo profile list
    """
    from mpo.config import urls
    from mpo.config.edit import list_profiles

    out.rows({"name": p.name, "default": p.is_default, "active": p.is_active,
              "database_url": urls.redact(str(p.values.get("database_url", ""))),
              "keys": sorted(p.values)} for p in list_profiles(current().profile_flag))


@profile_app.command("add")
def add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Letters, digits, '-' and '_'.",
                                        show_default=False)],
    database_url: Annotated[str | None, typer.Option(
        "--database-url", metavar="URL|PATH",
        help="The profile's database: an SQLite path or URL, or postgresql+psycopg://USER@HOST/DB "
        "(no password: use MPO_DATABASE_URL or ~/.pgpass for that).")] = None,
) -> None:
    """Add a profile; other keys are set with `mpo --profile NAME config set KEY VALUE`.

    Example: mpo profile add team --database-url postgresql+psycopg://mpo@db.internal/mpo
    """
    from mpo.config.edit import add_profile

    add_profile(name, database_url)
    message(f"added profile {name}; make it the default with `mpo profile use {name}`")


@profile_app.command("use")
def use(name: NameArgument) -> None:
    """Make NAME the default profile for later commands (sets default_profile).

    Example: mpo profile use team
    """
    from mpo.config.edit import use_profile

    use_profile(name)
    message(f"default profile is now {name}")


@profile_app.command("remove")
def remove(name: NameArgument) -> None:
    """Remove a profile (not the default one).

    Example: mpo profile remove staging
    """
    from mpo.config.edit import remove_profile

    remove_profile(name)
    message(f"removed profile {name}")

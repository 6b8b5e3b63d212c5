"""`mpo config path|list|get|set|unset`: the config file and the values in effect.

`set` and `unset` change the selected profile (`mpo --profile NAME config set ...`, else
`MPO_PROFILE`, else `default_profile`); the rules live in `mpo.config.edit`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mpo.cli import completion_values as values
from mpo.cli.context import current
from mpo.cli.options import output_options
from mpo.cli.output import Output, message
from mpo.report.fields import FieldSet

app = typer.Typer()
config_app = typer.Typer(help="Show and change settings: the config file and where each "
                         "value in effect comes from.")
app.add_typer(config_app, name="config", rich_help_panel="Setup")

CONFIG = FieldSet("config", all=("key", "value", "source"), default=("key", "value", "source"))

KeyArgument = Annotated[str, typer.Argument(
    metavar="KEY", help="A profile key: database_url, default_role, timezone, marketplaces, "
    "rejection_codes, confirm_over, cancel_codes, auto_assign, teams, routing, "
    "alert_awaiting_over, alert_silent_hours, alert_stale_days, expire_after, "
    "tick_catch_up.", autocompletion=values.config_keys, show_default=False)]


def _value(key: str, value: Any) -> Any:
    """A value to show: lists as lists, database passwords hidden."""
    if isinstance(value, tuple):
        return list(value)
    if key in ("database_url", "listen_database_url"):
        from mpo.config import urls

        return urls.redact(str(value))
    return value


def _text(value: Any) -> str:
    """A value as `config set` takes it: lists comma-separated, tables as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) or (isinstance(value, list) and any(
            isinstance(v, dict) for v in value)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


@config_app.command("path")
def path() -> None:
    """Print where the config file is (MPO_CONFIG overrides it).

    Example: mpo config path
    """
    from mpo.config import paths

    typer.echo(str(paths.config_file()))


@config_app.command("list")
@output_options(CONFIG)
def list_(*, out: Output) -> None:
    """List every setting in effect and where it came from: flag, MPO_* variable, profile or
    default (also `mpo config show`).

    Example: mpo --profile team config list
    """
    settings = current().settings
    rows = [{"key": "profile", "value": settings.profile, "source": settings.sources["profile"]}]
    rows += [{"key": key, "value": _value(key, getattr(settings, key)),
              "source": settings.sources[key]} for key in _keys()]
    out.rows(rows)


config_app.command("show", hidden=True)(list_)  # the natural guess, "Show ... settings"


def _keys() -> list[str]:
    from mpo.config.keys import KEYS

    return list(KEYS)


@config_app.command("get")
def get(key: KeyArgument) -> None:
    """Print the value of KEY in effect (lists comma-separated, passwords hidden).

    Example: mpo config get database_url
    """
    from mpo.config.edit import check_key

    check_key(key)
    typer.echo(_text(_value(key, getattr(current().settings, key))))


@config_app.command("set")
def set_value(
    key: KeyArgument,
    value: Annotated[str, typer.Argument(
        metavar="VALUE", help="Lists are comma-separated: amazon,shopee.", show_default=False)],
) -> None:
    """Set KEY in the selected profile, after checking the value; never a database password.

    Example: mpo --profile team config set timezone America/Sao_Paulo
    """
    from mpo.config.edit import set_value as store

    profile, stored = store(key, value, current().profile_flag)
    message(f"set {key} = {_text(stored)} in profile {profile}")


@config_app.command("unset")
def unset(key: KeyArgument) -> None:
    """Remove KEY from the selected profile, so the default applies again.

    Example: mpo config unset confirm_over
    """
    from mpo.config.edit import unset_value

    profile, was_set = unset_value(key, current().profile_flag)
    message(f"unset {key} in profile {profile}" if was_set
            else f"{key} was not set in profile {profile}")

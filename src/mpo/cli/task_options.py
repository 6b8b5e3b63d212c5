"""The options that carry a task's fields, declared once for `create`, `campaign create`
and `template add`: their help texts read the limits and the allowed values from the core,
so a changed rule changes every command's help."""

from __future__ import annotations

from typing import Annotated

import typer

from mpo.cli import completion_values as values
from mpo.core.domain import validation as limits
from mpo.core.domain.vocabulary import Category, Priority
from mpo.core.domain.vocabulary import values as allowed


def _one_of(enum: type[Category] | type[Priority], default: str | None = None) -> str:
    names = [f"{v} (default)" if v == default else v for v in allowed(enum)]
    return ", ".join(names[:-1]) + " or " + names[-1] + "."


Title = Annotated[str | None, typer.Option(
    "--title", "-t", help=f"1-{limits.TITLE_MAX} characters.")]
Description = Annotated[str | None, typer.Option(
    "--description", "-d", help=f"Up to {limits.DESCRIPTION_MAX:,} characters.")]
CategoryOption = Annotated[str | None, typer.Option(
    "--category", "-c", help=_one_of(Category), autocompletion=values.categories)]
PriorityOption = Annotated[str | None, typer.Option(
    "--priority", "-p", help=_one_of(Priority, "medium"), autocompletion=values.priorities)]
EstimatedHours = Annotated[float | None, typer.Option(
    "--estimated-hours", "-e", help=f"More than 0, at most {limits.HOURS_MAX:,g}.")]
Metadata = Annotated[str | None, typer.Option(
    "--metadata", metavar="JSON",
    help=f"A JSON object of at most {limits.METADATA_MAX_BYTES // 1024} KiB.")]
Listing = Annotated[str | None, typer.Option(
    "--listing", metavar="ID", help="The product listing the task is about.")]

"""Option groups shared by many commands, injected by decorators so each is declared once.

`@output_options(fields.TASK)` adds --json/--jsonl/--csv/--fields and hands the command an
`Output`; `@selection_options` adds the batch verbs' ids, filters and safety flags;
`@action_options(spec)` adds the options a lifecycle action's declaration says it carries.
"""

from __future__ import annotations

import functools
import inspect
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import click
import typer

from mpo.cli import completion_values as values
from mpo.cli.output import Mode, Output, choose_mode
from mpo.core.domain import wellformed
from mpo.core.domain.errors import ValidationError
from mpo.core.domain.selection import Selection
from mpo.report.fields import FieldSet

if TYPE_CHECKING:
    from mpo.core.domain.lifecycle import ActionSpec, Param

F = TypeVar("F", bound=Callable[..., Any])


def _inject(
    name: str, params: list[inspect.Parameter], build: Callable[[dict[str, Any]], Any]
) -> Callable[[F], F]:
    """Add `params` to a command's signature; pass `build(their values)` as `name`."""

    def decorate(fn: F) -> F:
        # Resolve the command's string annotations (PEP 563) in its own module now: typer
        # would otherwise evaluate them in this module and lose their typer.Option info.
        hints = typing.get_type_hints(fn, include_extras=True)
        signature = inspect.signature(fn)
        own = [p.replace(annotation=hints.get(p.name, p.annotation))
               for p in signature.parameters.values() if p.name != name]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            taken = {p.name: kwargs.pop(p.name) for p in params}
            return fn(*args, **kwargs, **{name: build(taken)})

        wrapper.__signature__ = signature.replace(parameters=own + params)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=annotation)


def output_options(field_set: FieldSet) -> Callable[[F], F]:
    """Give a command the output flags; it receives `out: Output`."""
    params = [
        _option("json_", Annotated[bool, typer.Option("--json", help="Output JSON.")], False),
        _option("jsonl", Annotated[bool, typer.Option("--jsonl",
                help="Output JSON Lines, one object per line.")], False),
        _option("csv_", Annotated[bool, typer.Option("--csv", help="Output CSV with a header.")],
                False),
        _option("fields", Annotated[str | None, typer.Option(
            "--fields", metavar="A,B",
            help=f"Fields to show: {', '.join(field_set.all)}.",
            autocompletion=values.field_names(field_set))], None),
        _option("wide", Annotated[bool, typer.Option(
            "--wide", help="Tables: show every column in full, even past the "
            "terminal's width.")], False),
    ]

    def build(v: dict[str, Any]) -> Output:
        mode = choose_mode(json_=v["json_"], jsonl=v["jsonl"], csv_=v["csv_"])
        everything = mode in (Mode.JSON, Mode.JSONL, Mode.CSV)
        return Output(mode, field_set.pick(v["fields"], everything=everything), wide=v["wide"])

    return _inject("out", params, build)


#: The metavar of each kind of declared parameter (free text keeps typer's TEXT).
METAVARS: dict[str, str] = {"code": "CODE", "name": "NAME", "hours": "HOURS",
                            "duration": "DURATION"}


def option_name(param: Param) -> str:
    """The Python name of a declared parameter's option: `--reason-code` is `reason_code`."""
    return param.field.replace("-", "_")


def _type(param: Param) -> Any:
    """The Python type of a declared parameter's option: hours are a float, the rest text."""
    return float | None if param.kind == "hours" else str | None


def action_options(spec: ActionSpec) -> Callable[[F], F]:
    """Give a lifecycle command one option per parameter of its declaration
    (`lifecycle.Param`): `--{field}`, its help, a float for hours, the configured codes
    completed for a code. The command receives `given`: the values by their core names,
    None where not given (the core checks what is required)."""
    params = [_option(option_name(p), Annotated[_type(p), typer.Option(
        f"--{p.field}", metavar=METAVARS.get(p.kind), help=p.help,
        autocompletion=values.codes(p.codes) if p.kind == "code" and p.codes else None)], None)
        for p in spec.params]

    def build(v: dict[str, Any]) -> dict[str, Any]:
        return {p.name: v[option_name(p)] for p in spec.params}

    return _inject("given", params, build)


@dataclass(frozen=True)
class BatchFlags:
    """A batch verb's selection plus how carefully to apply it."""

    selection: Selection
    dry_run: bool
    skip_invalid: bool
    yes: bool
    idempotency_key: str | None = None


#: `--idempotency-key` of every write verb: a retry returns the first result.
#: `--team NAME`: a report about one team's marketplaces (a team's admin: its own, the
#: default).
TeamOption = Annotated[str | None, typer.Option(
    "--team", metavar="TEAM", help="Only this team's marketplaces (mpo team list); a team's "
    "own people see their team's by default.")]
IdempotencyKey = Annotated[str | None, typer.Option(
    "--idempotency-key", metavar="KEY",
    help="Retry-safe: the same key and request returns the first result (exit 0); the "
    "same key with another request exits 5. Keys are yours alone; ignored by --dry-run.")]


def _refs(raw: list[str]) -> tuple[str, ...]:
    refs: list[str] = []
    for ref in raw:
        if ref == "-":
            refs.extend(wellformed.text("ids", wellformed.decode(
                "ids", sys.stdin.buffer.read())).split())
        else:
            refs.append(ref)
    return tuple(refs)


def selection_options(fn: F) -> F:
    """Give a batch verb its ids, filters, --dry-run/--skip-invalid/--yes and
    --idempotency-key."""
    many = "Repeatable; or comma-separated."
    params = [
        _option("ids", Annotated[list[str] | None, typer.Argument(
            metavar="[ID]...", show_default=False,
            help="Task ids or unique prefixes (4+ characters); '-' reads ids from stdin.",
            autocompletion=values.task_ids)], None),
        _option("marketplace", Annotated[list[str] | None, typer.Option(
            "--marketplace", "-m", help=f"Select by marketplace. {many}",
            autocompletion=values.marketplaces)], None),
        _option("priority", Annotated[list[str] | None, typer.Option(
            "--priority", help=f"Select by priority. {many}",
            autocompletion=values.priorities)], None),
        _option("category", Annotated[list[str] | None, typer.Option(
            "--category", help=f"Select by category. {many}",
            autocompletion=values.categories)], None),
        _option("created_by", Annotated[list[str] | None, typer.Option(
            "--created-by", help=f"Select by creator. {many}")], None),
        _option("mine", Annotated[bool, typer.Option(
            "--mine", help="Select the tasks you created (an agent's own proposals).")], False),
        _option("all_", Annotated[bool, typer.Option(
            "--all", help="Select every task in the state this verb leaves from.")], False),
        _option("campaign", Annotated[list[str] | None, typer.Option(
            "--campaign", help=f"Select a campaign's tasks. {many}")], None),
        _option("dry_run", Annotated[bool, typer.Option(
            "--dry-run", help="Show what would change; change nothing.")], False),
        _option("skip_invalid", Annotated[bool, typer.Option(
            "--skip-invalid", help="Apply the valid items, report the rest (default: all or "
            "nothing); exit 12 when every item was skipped.")], False),
        _option("yes", Annotated[bool, typer.Option(
            "--yes", "-y", help="Do not ask for confirmation on large batches.")], False),
        _option("idempotency_key", IdempotencyKey, None),
    ]

    def build(v: dict[str, Any]) -> BatchFlags:
        selection = Selection(
            refs=_refs(v["ids"] or []),
            marketplaces=split(v["marketplace"]),
            priorities=split(v["priority"]),
            categories=split(v["category"]),
            created_by=split(v["created_by"]),
            all=v["all_"],
            campaigns=split(v["campaign"]),
            mine=v["mine"],
        )
        return BatchFlags(selection, v["dry_run"], v["skip_invalid"], v["yes"],
                          v["idempotency_key"])

    return _inject("batch", params, build)(fn)


def split(raw: list[str] | None) -> tuple[str, ...]:
    """Repeated and comma-separated option values, flattened; a blank value is refused
    (`--tag ''` once silently meant no tag, `--created-by ''` no filter)."""
    if any(not item.strip(" ,") for item in raw or ()):
        raise ValidationError(_option_named(raw), "must not be empty")
    return tuple(v.strip() for item in raw or () for v in item.split(",") if v.strip())


def _option_named(raw: object) -> str:
    """The option of the running command whose value is `raw` (for messages)."""
    ctx = click.get_current_context(silent=True)
    for param in ctx.command.params if ctx is not None else ():
        given = ctx.params.get(param.name or "") if ctx is not None else None
        if isinstance(given, list | tuple) and list(given) == raw and param.opts:
            return max(param.opts, key=len).lstrip("-")
    return "option"

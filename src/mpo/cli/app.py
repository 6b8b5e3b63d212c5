"""The root of the `mpo` command: global options, the command groups, and the one place
where errors become a line on stderr and an exit code.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any, NoReturn

import click
import typer
from typer.core import TyperGroup

from mpo import __version__
from mpo.cli import argv, completion, completion_values, hints, roles
from mpo.cli.context import AppContext
from mpo.config import env
from mpo.core.domain.errors import ExitCode, MpoError
from mpo.core.domain.permissions import Role

EXIT_CODES = (
    "Exit codes: 0 ok, 1 unexpected error, 2 usage or validation error, 3 not found, "
    "4 authentication or permission, 5 conflict or invalid transition, "
    "6 database busy or unavailable, 7 cancelled, 8 timed out, 9 declined (rejected or "
    "cancelled), 10 alert fired, 11 partly failed (the rest done), 12 nothing applied "
    "(--skip-invalid skipped every item). "
    "See docs/exit-codes.md."
)


def _error(text: str) -> None:
    sys.stderr.write(f"error: {hints.complete(text)}\n")


#: Every top-level command and the module of `mpo.cli` that defines it, in the order of
#: `mpo --help`: a command imports its own module only (`mpo create` never loads the
#: server, the TUI or the other commands). tests/cli/test_app.py checks it against them.
COMMANDS: dict[str, str] = {
    "create": "tasks", "list": "tasks", "show": "tasks",
    **dict.fromkeys(("submit", "approve", "reject", "assign", "start", "complete", "cancel",
                     "heartbeat", "release"), "lifecycle"),
    "claim": "claim", "note": "claim",
    "log": "log", "init": "db", "demo": "demo", "db": "db", "auth": "auth",
    "principal": "principal", "team": "team",
    "config": "config", "profile": "profile", "completion": "completion", "stats": "stats",
    "serve": "serve", "mcp": "mcp", "review": "review", "dashboard": "review", "export": "transfer",
    "import": "transfer", "estimate": "estimate", "campaign": "campaign",
    "subtask": "subtask", "checkpoint": "checkpoint", "undo": "undo", "expire": "expire",
    "archive": "archive",
    "route": "route", "status": "status", "tick": "template", "template": "template",
    "wait": "wait", "watch": "watch", "deliver": "webhook", "webhook": "webhook",
    "notify": "notify", "roles": "roles", "workflow": "workflow", "move": "workflow",
}


@cache
def _group(module: str) -> click.Group:
    """The click commands of one module of `mpo.cli`, built once (`--help` asks for each)."""
    group = typer.main.get_group(importlib.import_module(f"mpo.cli.{module}").app)
    for name, command in group.commands.items():
        roles.annotate(command, name)
    return group


def command_of(name: str) -> click.Command | None:
    """The click command `name` of the table above, built from its module's typer app."""
    module = COMMANDS.get(name)
    return None if module is None else _group(module).commands.get(name)


class MpoGroup(TyperGroup):
    """The root group: runs a command and translates every failure exactly once."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = self._run(args, prog_name or "mpo", complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _main_shell_completion(self, ctx_args: Any, prog_name: str,
                               complete_var: str | None = None) -> None:
        # click's protocol (`_MPO_COMPLETE=bash_complete`), not typer's older one.
        completion.respond(self, ctx_args, prog_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        # Plugins' commands are looked up only for names mpo does not know: --help stays fast.
        found = self.commands.get(cmd_name) or command_of(cmd_name)
        if found is not None:
            self.commands[cmd_name] = found
        else:
            from mpo.delivery.plugins import command

            found = command(ctx, cmd_name)
        return found

    def _run(self, args: Sequence[str] | None, prog_name: str, complete_var: str | None,
             **extra: Any) -> int:
        try:
            argv.check(sys.argv[1:] if args is None else args)
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except MpoError as exc:
            _error(exc.message)
            return int(exc.exit_code)
        except click.exceptions.NoArgsIsHelpError as exc:
            # Bare `mpo`: the help is the message (rich has already printed it, leaving "").
            if exc.format_message():
                sys.stderr.write(exc.format_message() + "\n")
            return int(ExitCode.USAGE)
        except click.UsageError as exc:
            hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
            if isinstance(exc, click.NoSuchOption) and exc.ctx:
                from mpo.cli import guesses

                answer = guesses.for_option(exc.ctx.command_path, exc.option_name)
                hint = f" {answer}" if answer else hint
            _error(f"{exc.format_message()}{hint}")
            return int(ExitCode.USAGE)
        except click.ClickException as exc:
            _error(exc.format_message())
            return exc.exit_code
        except click.Abort:
            _error("cancelled; nothing changed")
            return int(ExitCode.CANCELLED)
        except SystemExit as exc:
            from click.utils import PacifyFlushWrapper

            if exc.code == 1 and isinstance(sys.stdout, PacifyFlushWrapper):
                return 0  # the reader went away (`mpo list | head`): done, quietly, as gh
            raise
        except Exception as exc:
            if os.environ.get(env.DEBUG):
                raise
            first = next(iter(str(exc).strip().splitlines()), "")  # errors are one line
            _error(f"unexpected {type(exc).__name__}: {first} (set MPO_DEBUG=1 for a traceback)")
            return int(ExitCode.UNEXPECTED)
        return result if isinstance(result, int) else 0


app = typer.Typer(
    name="mpo",
    cls=MpoGroup,
    help="Marketplace orchestration: AI agents propose tasks, people approve, assign and "
    "complete them, and every change lands in an append-only audit log.",
    epilog=EXIT_CODES,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"mpo {__version__}\n")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    database: Annotated[str | None, typer.Option(
        "--db", metavar="URL|PATH", show_default=False,
        help="Database: an SQLite path or URL, or postgresql+psycopg://... "
        "(env: MPO_DATABASE_URL; default: the profile's, else the platform data dir)")] = None,
    profile: Annotated[str | None, typer.Option(
        "--profile", metavar="NAME", show_default=False,
        autocompletion=completion_values.profile_names,
        help="Config profile to use (env: MPO_PROFILE; default: the default_profile key)")] = None,
    as_role: Annotated[str | None, typer.Option(
        "--as", metavar="ROLE", show_default=False,
        help=f"Act with the stored credential of this role: {', '.join(Role)} "
        "(env: MPO_ROLE; default: the profile's default_role, else admin)")] = None,
    token_file: Annotated[str | None, typer.Option(
        "--token-file", metavar="PATH|-", show_default=False,
        help="Read the token from a file or stdin; tokens never go on the command line "
        "(env: MPO_TOKEN holds one directly)")] = None,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Marketplace orchestration: the ledger and workflow between agents and people."""
    hints.remember(database, profile)
    ctx.obj = AppContext(database_flag=database, profile_flag=profile, role_flag=as_role,
                         token_file=token_file)


def main(argv: Sequence[str] | None = None) -> None:
    """Run `mpo` with `argv` (default: the process's); exits with the command's code."""
    typer.main.get_command(app).main(args=argv, prog_name="mpo")


#: Allocations between two collections of the youngest generation (see `run`).
GC_EVERY = 50_000


def run() -> NoReturn:
    """Console-script entry point: `main`, then leave without tearing the interpreter down.

    Freeing every module and object of SQLAlchemy, pydantic and typer at exit costs a
    fifth of a short command's time (bench/startup.py), and an exiting process does not
    need it: output is flushed and atexit handlers run first; mpo's database connections
    are closed when each unit of work ends, and SQLite commits are on disk before COMMIT
    returns. Under a debugger or profiler (a trace or profile function set) it exits
    normally.

    The cyclic garbage collector runs every `GC_EVERY` allocations instead of 700: a bulk
    create or an export keeps 100,000s of objects alive, which every collection of the
    older generations walks again (a second per 100,000 tasks, for nothing).
    """
    gc.set_threshold(GC_EVERY, 20, 100)
    try:
        main()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.exit(code)
    if not isinstance(code, int):
        if code is not None:
            sys.stderr.write(f"{code}\n")
        code = 0 if code is None else 1
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away (`mpo list | head`) cannot be flushed to.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(code)

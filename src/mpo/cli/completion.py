"""Shell completion: `mpo completion bash|zsh|fish` prints the script, and the script calls
`mpo` back with `_MPO_COMPLETE=<shell>_complete` to ask for candidates.

Built on click's own completion classes (typer's `--install-completion` is off: it guesses
the shell and edits rc files). The scripts in `completions/` are this command's output.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import Annotated, Any

import click
import typer
from click.shell_completion import BashComplete, FishComplete, ShellComplete, ZshComplete

from mpo.config import env

app = typer.Typer()

PROG = "mpo"


class Shell(StrEnum):
    """The shells mpo ships completion for."""

    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"


CLASSES: dict[str, type[ShellComplete]] = {
    Shell.BASH: BashComplete, Shell.ZSH: ZshComplete, Shell.FISH: FishComplete}


def script(cli: click.Command, shell: Shell) -> str:
    """The completion script for `shell`."""
    return CLASSES[shell](cli, {}, PROG, env.COMPLETE).source()


def respond(cli: click.Command, ctx_args: Any, prog_name: str) -> None:
    """Answer a completion request (`_MPO_COMPLETE` set) and exit; otherwise return.

    Whatever goes wrong, the shell gets no candidates and no error text.
    """
    instruction = os.environ.get(env.COMPLETE)
    if not instruction:
        return
    shell, _, action = instruction.partition("_")
    cls = CLASSES.get(shell)
    if cls is None or action not in ("source", "complete"):
        sys.exit(1)
    comp = cls(cli, ctx_args, prog_name, env.COMPLETE)
    try:
        text = comp.source() if action == "source" else comp.complete() + "\n"
    except Exception:
        sys.exit(1)
    sys.stdout.write(text)
    sys.exit(0)


@app.command(rich_help_panel="Setup")
def completion(
    ctx: typer.Context,
    shell: Annotated[Shell, typer.Argument(help="The shell to print the script for.",
                                           show_default=False)],
) -> None:
    """Print the shell completion script for bash, zsh or fish (see docs/completions.md).

    Example: mpo completion bash > ~/.local/share/bash-completion/completions/mpo
    """
    sys.stdout.write(script(ctx.find_root().command, shell))

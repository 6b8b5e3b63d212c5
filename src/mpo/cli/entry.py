"""The `mpo` console script: `mpo --help` is answered before typer, click and every command
module load (`root_help`); everything else goes to the app."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn


def run() -> NoReturn:
    """Console-script entry point."""
    from mpo.cli import root_help

    if root_help.answered(sys.argv[1:]):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away: done
            sys.stdout.flush()
        os._exit(0)
    from mpo.cli.app import run as run_app

    run_app()

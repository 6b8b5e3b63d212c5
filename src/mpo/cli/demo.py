"""`mpo demo`: a throwaway database with a week of work in it, and the commands to look at
it. Never the user's database: a new directory under mpo's cache dir (or `--dir`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mpo.cli.output import message

app = typer.Typer()


def _directory(chosen: Path | None) -> Path:
    """A new, empty directory for the demo: `chosen`, or a fresh one in the cache dir."""
    import tempfile

    from mpo.config import paths
    from mpo.core.domain.errors import ValidationError

    if chosen is None:
        paths.cache_dir().mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="demo-", dir=paths.cache_dir()))
    if chosen.exists() and (not chosen.is_dir() or any(chosen.iterdir())):
        raise ValidationError("dir", f"{chosen} is not an empty directory; the demo makes "
                                     "its own database in a new or empty one")
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen


@app.command(rich_help_panel="Setup")
def demo(
    directory: Annotated[Path | None, typer.Option(
        "--dir", metavar="DIR", file_okay=False, show_default=False,
        help="Where to make the demo database: a new or empty directory "
        "(default: a new one under mpo's cache dir).")] = None,
) -> None:
    """Make a throwaway database holding a week of work (the six marketplaces' agents, the
    master orchestrator, two members; proposals, decisions, completed work) and print the
    commands that look at it. Your own database and keyring are never touched.

    Example: mpo demo
    """
    import os
    import shlex
    from datetime import UTC, datetime

    from mpo.config.urls import normalise
    from mpo.core.domain.validation import Rules
    from mpo.core.usecases.demo import play_week
    from mpo.store.database import SqlDatabase
    from mpo.store.migrate import upgrade

    where = _directory(directory).resolve()
    path, token_file = where / "mpo.db", where / "admin.token"
    url = normalise(str(path))
    upgrade(url)
    week = play_week(SqlDatabase(url), "demo-admin", Rules(), datetime.now(UTC))
    token_file.touch(mode=0o600)
    token_file.write_text(week.admin_token + "\n", encoding="utf-8")
    os.chmod(token_file, 0o600)
    moves = ", ".join(f"{count} {action}" for action, count in sorted(week.moves.items()))
    message(f"demo: {week.principals} principals and {week.tasks} proposals over the last "
            f"7 days ({moves})\n  database    {path}\n  admin token {token_file}\n"
            "Look at it (delete the directory when done):")
    prefix = f"mpo --db {shlex.quote(str(path))} --token-file {shlex.quote(str(token_file))}"
    report = shlex.quote(str(where / "report.html"))
    for command in ("review", "dashboard", f"stats --since -7d --html {report}"):
        typer.echo(f"{prefix} {command}")

"""Every command a message names is complete as printed: a `mpo ...` in backticks (or on an
indented line of its own) gets the root options this run was given (`--db`, `--profile`),
so pasting it reaches the same database with the same profile (issue 24: a hint without
them failed with "the token is not valid"). The one place the rule lives: errors and notes
on stderr both pass here."""

from __future__ import annotations

import re
import shlex

#: A command in backticks, or on a line of its own indented by two spaces; `mpo profile
#: ...` manages the profiles themselves and works without the options (a missing one too).
_COMMAND = re.compile(r"(`|^  )mpo(?=[ `]|$)(?! profile\b)", re.MULTILINE)
_options: list[str] = []


def remember(database: str | None, profile: str | None) -> None:
    """The root options of this run (called once, by the root callback)."""
    from mpo.config import urls

    _options.clear()
    # A URL with a password is never echoed: such URLs belong in MPO_DATABASE_URL.
    if database is not None and not urls.has_password(database):
        _options.extend(["--db", shlex.quote(database)])
    if profile is not None:
        _options.extend(["--profile", shlex.quote(profile)])


def complete(text: str) -> str:
    """`text` with the run's root options in every `mpo ...` command it names."""
    if not _options:
        return text
    flags = " ".join(_options)
    return _COMMAND.sub(lambda m: f"{m.group(1)}mpo {flags}", text)

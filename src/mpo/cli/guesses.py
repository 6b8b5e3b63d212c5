"""Natural guesses that are not mpo's words, answered with what does what was meant.

Click suggests close spellings by itself; these are the guesses no spelling is close to,
collected from agents that learned mpo from `--help` (issue 21).
"""

from __future__ import annotations

#: (command path, option given) -> what to do instead.
OPTIONS: dict[tuple[str, str], str] = {
    ("mpo list", "--all"): "Plain `mpo list` lists every task you may see; narrow it with "
    "--status or --marketplace, cap it with --limit.",
}


def for_option(command_path: str, option: str) -> str | None:
    """The answer to `option` given to `command_path`, if it is a known guess."""
    return OPTIONS.get((command_path, option.partition("=")[0]))

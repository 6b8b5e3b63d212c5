"""The command line itself, checked before click parses it: every argument must be text.

Bytes that are not UTF-8 reach Python as lone surrogates (os.fsdecode), and a NUL can come
from a program that calls mpo's entry point directly; neither can be stored or printed, so
they are refused here, naming the option they were given to (issue 11, defect 1).
"""

from __future__ import annotations

from collections.abc import Sequence

from mpo.core.domain import wellformed
from mpo.core.domain.errors import ValidationError


def check(args: Sequence[str]) -> None:
    """Raise a ValidationError naming the first argument that is not valid text."""
    for position, arg in enumerate(args):
        field, value = f"argument {position + 1}", arg
        if arg.startswith("--") and "=" in arg:
            field, _, value = arg.partition("=")
        elif position and args[position - 1].startswith("-") and not arg.startswith("-"):
            field = args[position - 1]
        try:
            wellformed.text(field, field)
        except ValidationError:
            field, value = f"argument {position + 1}", arg
        wellformed.text(field, value)

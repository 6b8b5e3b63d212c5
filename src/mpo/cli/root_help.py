"""`mpo --help` without importing typer, click or rich: the root help from a generated index.

The root help lists every command, which used to import every command's module and rich's
help formatter (0.24 s; issue 26 asks for 0.12). `help_index` holds what that help says,
generated from the real app and checked against it by tests/cli/test_root_help.py; this
module lays it out as typer's rich formatter does, character for character in plain text
(the test compares them), with a few of its colours on a terminal. Where rich would cut a
word short (a terminal narrower than a word), `render` gives up and rich does it.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap

from mpo.cli import help_index

#: Cell padding between two table columns (rich: one space each side).
_GAP = 2
_BOLD_CYAN, _BOLD_YELLOW, _DIM, _RESET = "\x1b[1;36m", "\x1b[1;33m", "\x1b[2m", "\x1b[0m"


class _TooNarrow(Exception):
    """A word does not fit its column: rich would cut it with an ellipsis."""


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width`; the text's own line breaks are kept, as rich keeps them."""
    if width < 1 or any(len(word) > width for word in text.split()):
        raise _TooNarrow
    lines: list[str] = []
    for hard in text.split("\n"):
        lines += textwrap.wrap(hard, width, break_on_hyphens=False) or [""]
    return lines


class _Layout:
    """Lines of the help at one width, coloured or not."""

    def __init__(self, width: int, colour: bool) -> None:
        self.width, self.colour = width, colour
        self.lines: list[str] = []

    def paint(self, text: str, style: str) -> str:
        return f"{style}{text}{_RESET}" if self.colour and text.strip() else text

    def text(self, text: str) -> None:
        self.lines += [f" {line}".ljust(self.width) for line in _wrap(text, self.width - 2)]

    def blank(self) -> None:
        self.lines.append(" " * self.width)

    def panel(self, title: str, rows: list[list[str]], widths: list[int]) -> None:
        """A titled box around `rows`, laid out in columns; the last column wraps."""
        inner, fixed = self.width - 4, sum(w + _GAP for w in widths[:-1])
        edge = self.paint("│", _DIM)
        top = f"╭─ {title} " + "─" * (self.width - len(title) - 5) + "╮"
        self.lines.append(self.paint(top, _DIM))
        styles = [_BOLD_CYAN, _BOLD_CYAN, _BOLD_CYAN, _BOLD_CYAN, _BOLD_YELLOW]
        for row in rows:
            head = "".join(self.paint(cell, style) + " " * (w + _GAP - len(cell))
                           for cell, w, style in zip(row[:-1], widths, styles, strict=False))
            for number, line in enumerate(_wrap(row[-1], widths[-1])):
                body = (head if number == 0 else " " * fixed) + line
                pad = " " * (inner - fixed - len(line))
                self.lines.append(f"{edge} {body}{pad} {edge}")
        self.lines.append(self.paint("╰" + "─" * (self.width - 2) + "╯", _DIM))


def render(width: int | None = None, *, colour: bool = False) -> str | None:
    """The root help at `width` columns (default: the terminal's, or $COLUMNS); None when
    a word would not fit, so that rich lays it out instead."""
    width = width or shutil.get_terminal_size().columns
    layout = _Layout(width, colour)
    try:
        layout.blank()
        layout.lines.append(" " + layout.paint("Usage:", _BOLD_YELLOW)
                            + f" {help_index.USAGE}".ljust(width - 7))
        layout.blank()
        layout.text(help_index.DESCRIPTION)
        layout.blank()
        options = help_index.OPTIONS
        sizes = [max(len(option[i]) for option in options) for i in range(3)]
        # rich keeps two empty columns for secondary (--no-...) flags: a gap each.
        widths = [sizes[0], sizes[1], 0, 0, sizes[2]]
        rows = [[o[0], o[1], "", "", o[2], o[3]] for o in options]
        layout.panel("Options", rows, [*widths, width - 4 - sum(w + _GAP for w in widths)])
        names = max(len(name) for _, commands in help_index.PANELS for name, _ in commands)
        for title, commands in help_index.PANELS:
            layout.panel(title, [[name, summary] for name, summary in commands],
                         [names, width - 4 - names - _GAP])
        layout.blank()
        layout.text(help_index.EPILOG)
        layout.blank()
    except _TooNarrow:
        return None
    return "\n".join(layout.lines) + "\n\n"


def answered(argv: list[str]) -> bool:
    """Print the root help if `argv` asks for nothing else (`mpo --help`, `mpo -h`)."""
    if argv not in (["--help"], ["-h"]):
        return False
    colour = (sys.stdout.isatty() and "NO_COLOR" not in os.environ
              and os.environ.get("TERM") != "dumb")
    text = render(colour=colour)
    if text is None:
        return False
    sys.stdout.write(text)
    return True

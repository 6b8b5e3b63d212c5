"""Rows too wide for one line of the terminal (`columns.arrange`): two lines per row, or a
block of `name  value` lines per row. Nothing that identifies a row is dropped or cut."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from mpo.cli.columns import Arrangement

#: The second line of a row starts this far in.
INDENT = "  "
_GAP = "   "
#: The least room free text takes after the pairs on a line; with less it starts its own.
FREE_MIN = 20


def two_lines(console: Console, title: str | None, shape: Arrangement,
              rows: Sequence[Mapping[str, str]], flex: Collection[str]) -> None:
    """First line: the identifying columns, aligned; second: the others as `name: value`,
    then the free text, which takes the rest of the line and ends in an ellipsis."""
    from rich.text import Text

    width = console.width
    if title:
        console.print(Text(title, style="italic"))
    header = _GAP.join(c.field.ljust(c.width or 0) for c in shape.columns).rstrip()
    console.print(Text(header, style="bold"))
    console.print(Text(INDENT + " · ".join(shape.below), style="bold"), no_wrap=True,
                  overflow="ellipsis", crop=True)
    console.print("─" * width)
    for row in rows:
        console.print(Text(_GAP.join(row[c.field].ljust(c.width or 0)
                                     for c in shape.columns).rstrip()))
        pairs = [f"{f}: {row[f]}" for f in shape.below if f not in flex and row[f]]
        text = " · ".join(row[f] for f in shape.below if f in flex and row[f])
        for line in _fold(pairs, text, width):
            console.print(Text(line), no_wrap=True, crop=True)


def _fold(pairs: Sequence[str], text: str, width: int) -> list[str]:
    """The lines below a row: `name: value` pairs, never cut (a pair that does not fit
    starts a new line), then the free text, cut with an ellipsis at the edge."""
    from rich.cells import cell_len
    from rich.text import Text

    lines: list[str] = []
    for pair in pairs:
        if lines and cell_len(lines[-1]) + 2 + cell_len(pair) <= width:
            lines[-1] += "  " + pair
        else:
            lines.append(INDENT + pair)
    if text:
        room = width - cell_len(lines[-1]) - 2 if lines else 0
        if lines and room >= FREE_MIN:
            lines[-1] += "  "
        else:
            lines.append(INDENT)
        cut = Text(lines[-1] + text)
        cut.truncate(width, overflow="ellipsis")
        lines[-1] = cut.plain
    return lines


def blocks(console: Console, title: str | None, shape: Arrangement,
           rows: Sequence[Mapping[str, str]], flex: Collection[str]) -> None:
    """A block of `name  value` lines per row, a blank line between rows; long values
    fold onto more lines rather than being cut."""
    from rich.table import Table
    from rich.text import Text

    if title:
        console.print(Text(title, style="italic"))
    names = [c.field for c in shape.columns]
    for n, row in enumerate(rows):
        if n:
            console.print()
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        for name in names:
            table.add_row(Text(name), Text(row[name]))
        console.print(table)

"""How a table's columns share a terminal's width: the one rule every table follows.

Ids, statuses and marketplaces are never cut; free text (the title) takes what is left and
ends in an ellipsis instead of wrapping; on a narrow terminal the low-value columns
(`DROP_ORDER`) go first, and only they: a column that identifies a row (`IDENTITY`: id,
who, when, name) or that the command chose to show is never dropped nor cut. When the
rest does not fit one line, a row takes two: the identifying columns (and what else fits)
on the first, the others as `name: value` and the free text on the second; when not even
the identifying columns fit, each row is a block of `name  value` lines (`arrange`).
`--wide` keeps every column at its full width. Issue 15: at 80 columns `mpo list` used to
cut every column to a few letters; issue 24: `mpo log` dropped who and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Free text: takes the width left over, cut with an ellipsis.
FLEX = frozenset({"title", "description", "reason", "detail", "rejection_reason", "tags",
                  "metadata", "payload", "idempotency_key"})
#: Never dropped, never cut: what a person needs to act on a row.
KEEP = frozenset({"id", "task_id", "batch_id", "marketplace", "status", "from_status",
                  "to_status", "outcome", "action"})
#: Never dropped, never cut, and on the first line of a row: what tells rows apart.
IDENTITY = frozenset({"id", "task_id", "actor", "at", "agent", "name", "principal", "key",
                      "marketplace"})
#: The only columns a narrow terminal may drop, in this order (a task row's details).
DROP_ORDER = ("created_at", "created_by", "idempotency_key", "estimated_hours", "actual_hours",
              "accuracy", "category", "priority", "payload")
#: The narrowest a free-text column may get before other columns are dropped for it.
FLEX_MIN = 20
#: The narrowest a free-text column may get on a row of one line.
FLEX_FLOOR = 10


@dataclass(frozen=True)
class Column:
    """A column that is shown, and its width (None: as wide as its content)."""

    field: str
    width: int | None
    flex: bool


def layout(fields: Sequence[str], natural: Sequence[int], width: int, overhead: int,
           *, wide: bool = False, droppable: Sequence[str] = DROP_ORDER) -> list[Column]:
    """The columns to show and their widths.

    `natural[i]` is the widest cell (or header) of `fields[i]`; `overhead(n)` is what the
    table's borders and padding take for n columns, given as the cost per extra column.
    """
    if wide:
        return [Column(f, None, False) for f in fields]
    shown = list(range(len(fields)))
    flex = {i for i in shown if fields[i] in FLEX}

    def needed(idx: list[int]) -> int:
        fixed = sum(natural[i] for i in idx if i not in flex)
        free = sum(min(natural[i], FLEX_MIN) for i in idx if i in flex)
        return fixed + free + overhead * max(len(idx) - 1, 0)

    for i in _drop_order(fields, flex, droppable):
        if needed(shown) <= width:
            break
        shown.remove(i)
    columns = []
    # Free-text columns first get their minimum, then share what is left in proportion to
    # what more each would use; on a terminal too narrow even for that, the widest give
    # way first (a short `detail` keeps its header while a title shrinks).
    base = {i: min(natural[i], FLEX_MIN) for i in shown if i in flex}
    extra = width - needed(shown)
    more = sum(natural[i] - base[i] for i in base)
    deficit = max(-extra, 0)
    for i in sorted(base, key=lambda i: -base[i]):
        cut = min(deficit, base[i] - 1)
        base[i] -= cut
        deficit -= cut
    for i in shown:
        if i in base:
            grow = extra * (natural[i] - base[i]) // more if more and extra > 0 else 0
            columns.append(Column(fields[i], min(base[i] + grow, natural[i]), True))
        else:
            columns.append(Column(fields[i], natural[i], False))
    return columns


def _drop_order(fields: Sequence[str], flex: set[int],
                droppable: Sequence[str] = DROP_ORDER) -> list[int]:
    return sorted((i for i, f in enumerate(fields) if f in droppable and f not in IDENTITY
                   and i not in flex), key=lambda i: droppable.index(fields[i]))


@dataclass(frozen=True)
class Arrangement:
    """How rows are shown: `line` (a table), `two` (first-line columns, then `below` as
    `name: value` and free text on an indented second line) or `stacked` (a block of
    `name  value` lines per row)."""

    kind: str
    columns: list[Column]
    below: list[str]


def arrange(fields: Sequence[str], natural: Sequence[int], width: int, gap: int, *,
            wide: bool = False, droppable: Sequence[str] = DROP_ORDER) -> Arrangement:
    """The arrangement of a table's rows on a terminal `width` wide (see the module)."""
    columns = layout(fields, natural, width, gap, wide=wide, droppable=droppable)
    shown = {c.field for c in columns}
    fixed = sum(natural[i] for i, f in enumerate(fields) if f in shown and f not in FLEX)
    floors = sum(min(natural[i], FLEX_FLOOR) for i, f in enumerate(fields)
                 if f in shown and f in FLEX)
    if wide or fixed + floors + gap * max(len(columns) - 1, 0) <= width:
        return Arrangement("line", columns, [])
    # Two lines: who and what first (in field order), then what else fits, in order.
    rank = sorted((i for i, f in enumerate(fields) if f in shown and f not in FLEX),
                  key=lambda i: (fields[i] not in IDENTITY, fields[i] not in KEEP, i))
    first: list[int] = []
    used = -gap
    for i in rank:
        if used + gap + natural[i] <= width:
            first.append(i)
            used += gap + natural[i]
        elif fields[i] in IDENTITY:  # not even who and when fit: a block per row
            return Arrangement("stacked", [Column(f, None, False) for f in fields], [])
    top = [Column(fields[i], natural[i], False) for i in sorted(first)]
    return Arrangement("two", top, [f for f in fields if f in shown and
                                    f not in {c.field for c in top}])


def one_line(text: str) -> str:
    """Free text with its line breaks and runs of spaces folded to single spaces."""
    return " ".join(text.split())

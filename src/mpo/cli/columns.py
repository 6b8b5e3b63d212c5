"""How a table's columns share a terminal's width, so that one row is one line.

Ids, statuses and marketplaces are never cut; free text (the title) takes what is left and
ends in an ellipsis instead of wrapping; on a narrow terminal the low-value columns go
first. `--wide` keeps every column at its full width. Issue 15: at 80 columns `mpo list`
used to cut every column to a few letters and wrap titles into slivers.
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
#: Dropped first, in this order, when the terminal is too narrow; other optional columns
#: follow from the rightmost.
DROP_ORDER = ("created_at", "created_by", "idempotency_key", "estimated_hours", "actual_hours",
              "accuracy", "category", "priority", "payload", "actor", "at")
#: The narrowest a free-text column may get before other columns are dropped for it.
FLEX_MIN = 20


@dataclass(frozen=True)
class Column:
    """A column that is shown, and its width (None: as wide as its content)."""

    field: str
    width: int | None
    flex: bool


def layout(fields: Sequence[str], natural: Sequence[int], width: int, overhead: int,
           *, wide: bool = False) -> list[Column]:
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

    for i in _drop_order(fields, flex):
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


def _drop_order(fields: Sequence[str], flex: set[int]) -> list[int]:
    optional = [i for i, f in enumerate(fields) if f not in KEEP and i not in flex]
    ranked = sorted((i for i in optional if fields[i] in DROP_ORDER),
                    key=lambda i: DROP_ORDER.index(fields[i]))
    rest = [i for i in reversed(optional) if fields[i] not in DROP_ORDER]
    return ranked + rest


def one_line(text: str) -> str:
    """Free text with its line breaks and runs of spaces folded to single spaces."""
    return " ".join(text.split())

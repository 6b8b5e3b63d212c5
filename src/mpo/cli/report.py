"""The stats report on a terminal: a rich summary, the group table, the daily series as
sparklines and the rejection reasons as bars (the figures come from `mpo.report.text`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from mpo.report.text import (
    AGENT_COLUMNS,
    COLUMNS,
    HEALTH_HEADER,
    Doc,
    bar,
    cell,
    group_label,
    headline,
    health_rows,
    reasons,
    series,
    spark,
)

if TYPE_CHECKING:
    from rich.console import Console


def people(doc: Doc, console: Console) -> None:
    """The report for a terminal: summary, group table, daily bars, reasons as bars."""
    from rich.table import Table
    from rich.text import Text

    summary = Table(show_header=False, box=None, pad_edge=False, title="mpo stats",
                    title_justify="left", title_style="bold")
    summary.add_column(style="bold")
    summary.add_column(overflow="fold")
    for label, value in headline(doc):
        summary.add_row(Text(label), Text(value))
    console.print(summary)
    _table(console, doc, f"by {doc['by']}", doc["groups"], COLUMNS)
    days, per = series(doc)
    if days:
        chart = Table(title=f"created per day, {days[0]} .. {days[-1]}", title_justify="left",
                      header_style="bold")
        chart.add_column("marketplace")
        chart.add_column("daily", overflow="fold")
        chart.add_column("total", justify="right")
        totals = [sum(v[i] for v in per.values()) for i in range(len(days))]
        for name, counts in [*sorted(per.items()), ("all", totals)]:
            chart.add_row(Text(name), Text(spark(counts)), Text(f"{sum(counts):,}"))
        console.print(chart)
    rows = reasons(doc)
    if rows:
        top = max(n for _, n in rows)
        bars = Table(title="rejections", title_justify="left", show_header=False)
        bars.add_column()
        bars.add_column(justify="right")
        bars.add_column()
        for label, n in rows:
            bars.add_row(Text(label), Text(f"{n:,}"), Text(bar(n, top)))
        console.print(bars)
    _table(console, doc, "agents", doc["agents"], AGENT_COLUMNS)
    _rows(console, "agent health", HEALTH_HEADER,
          [dict(zip(HEALTH_HEADER, row, strict=True)) for row in health_rows(doc)])


def _table(console: Console, doc: Doc, title: str, rows: Iterable[Doc],
           columns: Sequence[tuple[str, str, str]]) -> None:
    key = doc["by"] if title.startswith("by ") else "agent"
    _rows(console, title, (key, *(h for h, _, _ in columns)),
          [{key: group_label(doc, row["key"])} | {h: cell(row[k], kind) for h, k, kind in columns}
           for row in rows])


def _rows(console: Console, title: str, fields: Sequence[str],
          rows: list[dict[str, Any]]) -> None:
    """A table by the rule of every table (`mpo.cli.columns`): names are never cut; too
    narrow a terminal gets two lines per row rather than `amaz…` and `shop…`."""
    from mpo.cli.output import Mode, Output

    Output(Mode.TABLE, fields, console.file, droppable=()).rows(rows, title=title)

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
    console.print(_table(doc, f"by {doc['by']}", doc["groups"], COLUMNS))
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
    console.print(_table(doc, "agents", doc["agents"], AGENT_COLUMNS))
    health = Table(title="agent health", title_justify="left", header_style="bold")
    for i, header in enumerate(HEALTH_HEADER):
        health.add_column(header, justify="left" if i in (0, 2) else "right")
    for row in health_rows(doc):
        health.add_row(*(Text(c) for c in row))
    console.print(health)


def _table(doc: Doc, title: str, rows: Iterable[Doc],
           columns: Sequence[tuple[str, str, str]]) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column(doc["by"] if title.startswith("by ") else "agent")
    for header, _, _ in columns:
        table.add_column(header, justify="right")
    for row in rows:
        table.add_row(Text(group_label(doc, row["key"])),
                      *(Text(cell(row[k], kind)) for _, k, kind in columns))
    return table

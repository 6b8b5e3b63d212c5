"""The stats report as text: the figures every view shows, and the plain-text report for
a pipe or a cron mail (aligned columns, `#` bars, one line per day).

Everything here reads the JSON document of docs/stats.md, so every view shows the same
numbers: the terminal (`mpo.cli.report`), this text, and the HTML page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import IO, Any

from mpo.core.domain.stats_report import BACKLOG_STATUSES

Doc = Mapping[str, Any]
SPARKS = "▁▂▃▄▅▆▇█"
BAR_WIDTH = 30
#: The columns of the group table: (header, row key, format).
COLUMNS = (
    ("created", "created", "n"), ("per day", "created_per_day", "f"),
    ("approved", "approved", "n"), ("rejected", "rejected", "n"),
    ("approval", "approval_rate", "%"), ("completed", "completed", "n"),
    ("accuracy", "accuracy_mean", "%"), ("within ±20%", "within_20_share", "%"),
    ("est. h", "mean_estimated_hours", "f"),
)
AGENT_COLUMNS = (
    ("tasks", "created", "n"), ("per day", "created_per_day", "f"),
    ("approval", "approval_rate", "%"), ("est. h", "mean_estimated_hours", "f"),
    ("accuracy", "accuracy_mean", "%"),
)


def pct(value: float | None) -> str:
    """A share as a percentage, or a dash when there is nothing to divide."""
    return "-" if value is None else f"{value * 100:.1f}%"


def hours(value: float | None) -> str:
    """Hours, or a dash for an empty window."""
    return "-" if value is None else f"{value:.1f} h"


def cell(value: Any, kind: str) -> str:
    """One table cell: counts as is, shares as %, other numbers to two decimals."""
    if kind == "%":
        return pct(value)
    if value is None:
        return "-"
    return f"{value:,}" if kind == "n" else f"{value:.2f}"


def spark(values: Sequence[int]) -> str:
    """A unicode sparkline, scaled to the largest value."""
    top = max(values, default=0)
    return "".join(SPARKS[math.ceil(v * len(SPARKS) / top) - 1] if v else " " for v in values)


def bar(value: int, top: int, width: int = BAR_WIDTH, char: str = "█") -> str:
    """A horizontal bar, at least one character for anything above zero."""
    return char * (max(1, round(value * width / top)) if value and top else 0)


def series(doc: Doc) -> tuple[list[str], dict[str, list[int]]]:
    """The daily created counts: the days, and per marketplace a value for each day."""
    days = sorted({v["day"] for v in doc["volume"]})
    index = {d: i for i, d in enumerate(days)}
    per: dict[str, list[int]] = {}
    for v in doc["volume"]:
        per.setdefault(v["marketplace"], [0] * len(days))[index[v["day"]]] = v["created"]
    return days, per


def group_label(doc: Doc, key: str | None) -> str:
    """A group's name; the tasks nobody is assigned to have none."""
    if key is None:
        return "(unassigned)" if doc["by"] == "assignee" else "(none)"
    return key


def local(iso: str, zone: str) -> str:
    """An ISO instant as a local time in the report's zone, to the minute."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def headline(doc: Doc) -> list[tuple[str, str]]:
    """The summary lines: (label, text)."""
    w, p, a, e, s = (doc["window"], doc["pipeline"], doc["approval"], doc["execution"],
                     doc["estimates"])
    t, run, lead = a["turnaround_hours"], e["started_to_completed_hours"], \
        e["approved_to_completed_hours"]
    return [
        ("window", f"{local(w['since'], w['timezone'])} .. {local(w['until'], w['timezone'])} "
                   f"{w['timezone']} ({w['days']:g} day{'' if w['days'] == 1 else 's'}, "
                   "end excluded)"),
        ("marketplaces", ", ".join(doc["marketplaces"]) or "all"),
        ("now", ", ".join(f"{k} {n:,}" for k, n in p["now"].items())),
        ("in window", ", ".join(f"{k} {n:,}" for k, n in p["window"].items())),
        ("approval", f"{pct(a['rate'])} of {a['decided']:,} decisions; turnaround median "
                     f"{hours(t['median'])}, p90 {hours(t['p90'])}"),
        ("execution", f"started→completed median {hours(run['median'])}, p90 "
                      f"{hours(run['p90'])}; approved→completed median "
                      f"{hours(lead['median'])}, p90 {hours(lead['p90'])}"),
        ("estimates", f"accuracy {pct(s['accuracy_mean'])}, within ±20% "
                      f"{pct(s['within_20_share'])}, actual/estimated median "
                      f"{cell(s['ratio']['median'], 'f')} (n={s['completed']:,})"),
        ("backlog", _backlog(doc["backlog"])),
    ]


def _backlog(b: Doc) -> str:
    parts = []
    for state in (status.value for status in BACKLOG_STATUSES):
        w = b[state]
        oldest = w["oldest"]
        age = f", oldest {oldest['id'][:8]} for {hours(oldest['age_hours'])}" if oldest else ""
        parts.append(f"{state} {w['count']:,} ({w['older_than']:,} over "
                     f"{b['older_than_hours']:g} h{age})")
    return "; ".join(parts)


def reasons(doc: Doc) -> list[tuple[str, int]]:
    """The rejection reason codes, then the top free-text reasons in quotes."""
    r = doc["rejections"]
    return ([(c["code"], c["count"]) for c in r["codes"]]
            + [(f'"{t["reason"]}"', t["count"]) for t in r["top_reasons"]])


def plain(doc: Doc, stream: IO[str]) -> None:
    """The report as plain text: aligned columns, `#` bars, one line per day."""
    write = stream.write
    width = max(len(label) for label, _ in headline(doc))
    write("mpo stats\n")
    for label, value in headline(doc):
        write(f"{label.ljust(width)}  {value}\n")
    _plain_table(stream, f"by {doc['by']}", doc["by"], doc, doc["groups"], COLUMNS)
    days, per = series(doc)
    if days:
        names = sorted(per)
        write("\ncreated per day\n")
        _aligned(stream, ["day", *names, "total"],
                 [[d, *(f"{per[m][i]:,}" for m in names),
                   f"{sum(per[m][i] for m in names):,}"] for i, d in enumerate(days)])
    rows = reasons(doc)
    if rows:
        top = max(n for _, n in rows)
        write("\nrejections\n")
        label_width = max(len(label) for label, _ in rows)
        count_width = max(len(f"{n:,}") for _, n in rows)
        for label, n in rows:
            write(f"{label.ljust(label_width)}  {n:>{count_width},}  {bar(n, top, char='#')}\n")
    _plain_table(stream, "agents", "agent", doc, doc["agents"], AGENT_COLUMNS)
    write("\nagent health\n")
    _aligned(stream, list(HEALTH_HEADER), health_rows(doc))


#: The agent health table (docs/stats.md, "Agent health").
HEALTH_HEADER = ("agent", "score", "band", "approval", "completion", "speed", "exec h",
                 "bottleneck")


def health_rows(doc: Doc) -> list[list[str]]:
    """One row of cells per agent of the document's `health` list."""
    return [[h["agent"], cell(h["score"], "f"), h["band"] or "-", pct(h["approval_rate"]),
             pct(h["completion_rate"]), cell(h["speed"], "f"),
             cell(h["mean_execution_hours"], "f"), "yes" if h["bottleneck"] else ""]
            for h in doc.get("health", [])]


def _plain_table(stream: IO[str], title: str, first: str, doc: Doc, rows: Sequence[Doc],
                 columns: Sequence[tuple[str, str, str]]) -> None:
    stream.write(f"\n{title}\n")
    _aligned(stream, [first, *(h for h, _, _ in columns)],
             [[group_label(doc, r["key"]), *(cell(r[k], kind) for _, k, kind in columns)]
              for r in rows])


def _aligned(stream: IO[str], header: list[str], rows: list[list[str]]) -> None:
    """Columns padded to their widest cell: the first left-aligned, numbers right."""
    lines = [header, *rows]
    if not rows:
        stream.write("(none)\n")
        return
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for line in lines:
        cells = [line[0].ljust(widths[0])] + [v.rjust(w) for v, w in zip(line[1:], widths[1:],
                                                                         strict=True)]
        stream.write("  ".join(cells).rstrip() + "\n")

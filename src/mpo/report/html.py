"""The stats report as one self-contained HTML page: inline CSS and SVG, no scripts, no CDN."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from mpo.report import svg
from mpo.report.text import (
    AGENT_COLUMNS,
    COLUMNS,
    HEALTH_HEADER,
    cell,
    group_label,
    headline,
    health_rows,
    series,
)

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 960px;
       color: #222; padding: 0 1rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: .25rem .5rem; border-bottom: 1px solid #eee; text-align: right;
         white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal;
                                  overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr));
        gap: 1rem; }
"""


def _health(row: Mapping[str, Any]) -> str:
    """An agent's health band (issue 16), whether given as a word or an object."""
    band = row.get("health")
    if isinstance(band, Mapping):
        band = band.get("band")
    return "-" if band is None else str(band)


def _table(doc: Mapping[str, Any], first: str, rows: Sequence[Mapping[str, Any]],
           columns: Sequence[tuple[str, str, str]], *, health: bool = False) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in (first, *(c[0] for c in columns)))
    head += "<th>health</th>" if health else ""
    body = "".join(
        "<tr><td>" + escape(group_label(doc, r["key"])) + "</td>"
        + "".join(f"<td>{escape(cell(r[k], kind))}</td>" for _, k, kind in columns)
        + (f"<td>{escape(_health(r))}</td>" if health else "") + "</tr>"
        for r in rows)
    return (f'<div class="table"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _health_table(doc: Mapping[str, Any]) -> str:
    """The agent health table (docs/stats.md, "Agent health"), as the text report has it."""
    rows = health_rows(doc)
    if not rows:
        return "<p>no agent acted in this window</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in HEALTH_HEADER)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return (f'<div class="table"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _figure(caption: str, chart: str) -> str:
    return f"<figure><figcaption>{escape(caption)}</figcaption>{chart}</figure>"


def _histogram(title: str, labels: Sequence[str], counts: Sequence[int] | None,
               x_label: str) -> str:
    if not counts or not sum(counts):
        return _figure(title, "<p>none in this window</p>")
    return _figure(title, svg.columns(labels, {"tasks": counts}, title=title, x_label=x_label,
                                      y_label="tasks", width=440, height=220))


def page(doc: Mapping[str, Any], histograms: Mapping[str, Sequence[int]] | None = None,
         buckets: Sequence[str] = ()) -> str:
    """The whole report, from the JSON document, and optionally the duration histograms
    (`turnaround`, `execution`: counts per bucket of `buckets`)."""
    days, per = series(doc)
    names = sorted(per)
    summary = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"
                      for label, value in headline(doc))
    legend = "".join(f'<span><i style="background:{svg.color(i)}"></i>{escape(n)}</span>'
                     for i, n in enumerate(names))
    created = "Tasks created per day, by marketplace"
    chart = (f'<div class="legend">{legend}</div>'
             + svg.columns(days, {n: per[n] for n in names}, title=created,
                           x_label=f"day ({doc['window']['timezone']})",
                           y_label="tasks created")) if days else "<p>none</p>"
    r = doc["rejections"]
    codes = [(c["code"], c["count"]) for c in r["codes"]]
    texts = [(t["reason"], t["count"]) for t in r["top_reasons"]]
    code_title, text_title = "Rejection reason codes", "Most frequent free-text reasons"
    code_chart = svg.bars(codes, title=code_title, x_label="rejections",
                          y_label="reason code") if codes else "<p>none</p>"
    text_chart = svg.bars(texts, title=text_title, x_label="rejections",
                          y_label="reason (as typed)") if texts else "<p>none</p>"
    spans = histograms or {}
    health = any("health" in a for a in doc["agents"])
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>mpo stats {escape(doc['window']['since'][:10])}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>mpo stats</h1>",
        f"<dl>{summary}</dl>",
        f"<h2>Created per day</h2><figure>{chart}</figure>",
        "<h2>How long things take</h2>",
        '<div class="pair">',
        _histogram("Approval turnaround (submitted to decided)", buckets,
                   spans.get("turnaround"), "hours waiting for a decision"),
        _histogram("Execution time (started to completed)", buckets,
                   spans.get("execution"), "hours from start to completion"),
        "</div>",
        f"<h2>By {escape(doc['by'])}</h2>", _table(doc, doc["by"], doc["groups"], COLUMNS),
        "<h2>Rejections</h2>",
        _figure(code_title, code_chart),
        _figure(text_title, text_chart),
        "<h2>Agents</h2>",
        _table(doc, "agent", doc["agents"], AGENT_COLUMNS, health=health),
        "<h2>Agent health</h2>", _health_table(doc),
        f"<p><small>schema_version {doc['schema_version']}, generated "
        f"{escape(doc['generated_at'])}</small></p>",
        "</body></html>",
    ])

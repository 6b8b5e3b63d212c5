"""The stats report as one self-contained HTML page: inline CSS and SVG, no scripts, no CDN."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from mpo.report import svg
from mpo.report.text import AGENT_COLUMNS, COLUMNS, cell, group_label, headline, reasons, series

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 960px;
       color: #222; padding: 0 1rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: .25rem .5rem; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; }
.legend span { display: inline-block; margin-right: 1rem; }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; }
"""


def _table(doc: Mapping[str, Any], first: str, rows: Sequence[Mapping[str, Any]],
           columns: Sequence[tuple[str, str, str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in (first, *(c[0] for c in columns)))
    body = "".join(
        "<tr><td>" + escape(group_label(doc, r["key"])) + "</td>"
        + "".join(f"<td>{escape(cell(r[k], kind))}</td>" for _, k, kind in columns) + "</tr>"
        for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(doc: Mapping[str, Any]) -> str:
    """The whole report, from the JSON document."""
    days, per = series(doc)
    names = sorted(per)
    summary = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"
                      for label, value in headline(doc))
    legend = "".join(f'<span><i style="background:{svg.color(i)}"></i>{escape(n)}</span>'
                     for i, n in enumerate(names))
    chart = (f'<div class="legend">{legend}</div>'
             + svg.columns(days, {n: per[n] for n in names})) if days else "<p>none</p>"
    rejected = reasons(doc)
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>mpo stats {escape(doc['window']['since'][:10])}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>mpo stats</h1>",
        f"<dl>{summary}</dl>",
        "<h2>Created per day</h2>", chart,
        f"<h2>By {escape(doc['by'])}</h2>", _table(doc, doc["by"], doc["groups"], COLUMNS),
        "<h2>Rejections</h2>", svg.bars(rejected) if rejected else "<p>none</p>",
        "<h2>Agents</h2>", _table(doc, "agent", doc["agents"], AGENT_COLUMNS),
        f"<p><small>schema_version {doc['schema_version']}, generated "
        f"{escape(doc['generated_at'])}</small></p>",
        "</body></html>",
    ])

"""Two inline SVG charts, dependency-free: stacked columns (a daily series) and bars."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#9c755f", "#bab0ac", "#ff9da7")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def color(i: int) -> str:
    """The i-th series colour."""
    return PALETTE[i % len(PALETTE)]


def columns(labels: Sequence[str], stacks: Mapping[str, Sequence[int]], *,
            width: int = 900, height: int = 240) -> str:
    """One stacked column per label (a day), one colour per series (a marketplace)."""
    left, bottom, top_pad = 44, 22, 8
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    totals = [sum(s[i] for s in stacks.values()) for i in range(len(labels))]
    top = max(totals, default=0) or 1
    step = plot_w / max(len(labels), 1)
    bar_w = max(1.0, step * 0.8)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" {FONT}>']
    for tick in (0, top / 2, top):
        y = top_pad + plot_h - tick / top * plot_h
        parts.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{left - 4}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{tick:,.0f}</text>')
    for i, label in enumerate(labels):
        x = left + i * step + (step - bar_w) / 2
        y = top_pad + plot_h
        for s, (name, values) in enumerate(stacks.items()):
            h = values[i] / top * plot_h
            if h > 0:
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                             f'height="{h:.1f}" fill="{color(s)}"><title>{escape(label)} '
                             f'{escape(name)}: {values[i]:,}</title></rect>')
    every = max(1, len(labels) // 8)
    for i in range(0, len(labels), every):
        x = left + i * step + step / 2
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">'
                     f'{escape(labels[i])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars(items: Sequence[tuple[str, int]], *, width: int = 640) -> str:
    """Horizontal bars with their labels and counts, longest first as given."""
    row, label_w, count_w = 20, 220, 60
    height = row * len(items) + 4
    top = max((n for _, n in items), default=0) or 1
    plot_w = width - label_w - count_w
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" role="img" {FONT}>']
    for i, (label, n) in enumerate(items):
        y = i * row + 2
        shown = label if len(label) <= 36 else label[:35] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">'
                     f'<title>{escape(label)}</title>{escape(shown)}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{max(1.0, n / top * plot_w):.1f}"'
                     f' height="{row - 6}" fill="{color(0)}"/>'
                     f'<text x="{width - count_w + 6}" y="{y + 13}">{n:,}</text>')
    parts.append("</svg>")
    return "".join(parts)

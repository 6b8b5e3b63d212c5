"""Inline SVG charts, dependency-free: stacked columns (a daily series), histograms and
horizontal bars. Every chart carries a title and labelled axes, ticks fall on round values,
and every label stays inside the drawing (issue 15: the last day was clipped)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#9c755f", "#bab0ac", "#ff9da7")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'
#: Width of one character of the chart font, roughly, for laying out labels.
CHAR = 6.5


def color(i: int) -> str:
    """The i-th series colour."""
    return PALETTE[i % len(PALETTE)]


def nice_ticks(top: float, count: int = 4, *, whole: bool = False) -> list[float]:
    """Round tick values from 0 to at least `top`: steps of 1, 2 or 5 times a power of 10;
    `whole` for counts (no tick at half a task)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if whole:
        step = max(step, 1)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _open(width: int, height: int, title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" style="max-width:{width}px" role="img" aria-label="{escape(title)}" '
            f'{FONT}><title>{escape(title)}</title>']


def _axes(parts: list[str], *, left: float, right: float, top_pad: float, plot_h: float,
          width: int, height: int, ticks: list[float], x_label: str, y_label: str) -> None:
    """Grid lines at the ticks, their values, and both axis titles."""
    top = ticks[-1]
    for tick in ticks:
        y = top_pad + plot_h - tick / top * plot_h
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text class="tick" x="{left - 4}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{_number(tick)}</text>')
    parts.append(f'<text class="axis-label" x="{(left + right) / 2:.1f}" y="{height - 4}" '
                 f'text-anchor="middle">{escape(x_label)}</text>')
    mid = top_pad + plot_h / 2
    parts.append(f'<text class="axis-label" x="12" y="{mid:.1f}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {mid:.1f})">{escape(y_label)}</text>')


def columns(labels: Sequence[str], stacks: Mapping[str, Sequence[int]], *, title: str,
            x_label: str, y_label: str, width: int = 900, height: int = 260) -> str:
    """One (stacked) column per label, one colour per series; also draws histograms."""
    totals = [sum(s[i] for s in stacks.values()) for i in range(len(labels))]
    ticks = nice_ticks(max(totals, default=0), whole=True)
    top = ticks[-1]
    left = 24 + CHAR * max(len(_number(t)) for t in ticks)
    step = (width - 8 - left) / max(len(labels), 1)
    lines = _label_lines(labels, step)
    right, top_pad, bottom = width - 8, 8, 40 + 12 * (len(lines[0]) - 1 if lines else 0)
    plot_h = height - bottom - top_pad
    parts = _open(width, height, title)
    _axes(parts, left=left, right=right, top_pad=top_pad, plot_h=plot_h, width=width,
          height=height, ticks=ticks, x_label=x_label, y_label=y_label)
    bar_w = max(1.0, step * 0.8)
    for i, label in enumerate(labels):
        x = left + i * step + (step - bar_w) / 2
        y = float(top_pad + plot_h)
        for s, (name, values) in enumerate(stacks.items()):
            h = values[i] / top * plot_h
            if h > 0:
                y -= h
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                             f'height="{h:.1f}" fill="{color(s)}"><title>{escape(label)} '
                             f'{escape(name)}: {values[i]:,}</title></rect>')
    widest = max((len(part) for parts_ in lines for part in parts_), default=1) * CHAR + 8
    every = max(1, math.ceil(widest / step))
    shown = list(range(0, len(labels), every))
    if labels and shown[-1] != len(labels) - 1:
        shown[-1] = len(labels) - 1  # the last label always shows, in place of its neighbour
    for i in shown:
        half = max(len(part) for part in lines[i]) * CHAR / 2
        # Centred under its column, but never past either edge.
        mid = min(max(left + i * step + step / 2, left + half), width - 2 - half)
        for n, part in enumerate(p for p in lines[i] if p):
            parts.append(f'<text class="tick" x="{mid:.1f}" '
                         f'y="{top_pad + plot_h + 14 + 12 * n:.1f}" '
                         f'text-anchor="middle">{escape(part)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _label_lines(labels: Sequence[str], step: float) -> list[list[str]]:
    """Each label as the lines it is drawn on: one, or, when one-line labels would not all
    fit under their columns but split at their last space they do ("12-24 h" over two
    lines), two. Every bucket of a histogram keeps its label."""
    one = [[label] for label in labels]
    if max((len(label) for label in labels), default=0) * CHAR + 8 <= step:
        return one
    two = [label.rsplit(" ", 1) for label in labels]
    fits = max((len(p) for parts in two for p in parts), default=0) * CHAR + 8 <= step
    return [[*parts, ""][:2] for parts in two] if fits else one


def bars(items: Sequence[tuple[str, int]], *, title: str, x_label: str, y_label: str,
         width: int = 640) -> str:
    """Horizontal bars with their labels and counts, in the order given."""
    row, label_w, count_w, top_pad, bottom = 20, 230, 60, 4, 40
    height = top_pad + row * len(items) + bottom
    ticks = nice_ticks(max((n for _, n in items), default=0), whole=True)
    top = ticks[-1]
    plot_w = width - label_w - count_w
    parts = _open(width, height, title)
    plot_bottom = top_pad + row * len(items)
    for tick in ticks:
        x = label_w + tick / top * plot_w
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top_pad}" y2="{plot_bottom}" '
                     f'stroke="#ddd"/><text class="tick" x="{x:.1f}" y="{plot_bottom + 14}" '
                     f'text-anchor="middle">{_number(tick)}</text>')
    for i, (label, n) in enumerate(items):
        y = top_pad + i * row
        shown = label if len(label) <= 32 else label[:31] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">'
                     f'<title>{escape(label)}</title>{escape(shown)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{max(1.0, n / top * plot_w):.1f}"'
                     f' height="{row - 6}" fill="{color(0)}"/>'
                     f'<text x="{label_w + n / top * plot_w + 4:.1f}" y="{y + 14}">{n:,}</text>')
    parts.append(f'<text class="axis-label" x="{label_w + plot_w / 2:.1f}" y="{height - 4}" '
                 f'text-anchor="middle">{escape(x_label)}</text>')
    parts.append(f'<text class="axis-label" x="{label_w - 6}" y="{height - 4}" '
                 f'text-anchor="end">{escape(y_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)

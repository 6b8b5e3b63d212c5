"""The HTML report (issue 24): whole-number ticks on count axes, a label under every
histogram bucket, the agent health table on the page, and `--html FILE` alone prints only
where it wrote."""

from __future__ import annotations

import html
import re
from pathlib import Path

from mpo.core.usecases.distributions import LABELS
from mpo.report import svg
from tests.conftest import MpoRunner


def _ticks(chart: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<text class="tick"[^>]*>([^<]*)</text>',
                                                 chart)]


def test_count_axes_have_whole_number_ticks() -> None:
    assert svg.nice_ticks(1, whole=True) == [0, 1]
    assert svg.nice_ticks(3, whole=True) == [0, 1, 2, 3]
    for chart in (svg.columns(["a", "b"], {"tasks": [1, 0]}, title="t", x_label="x",
                              y_label="y"),
                  svg.bars([("duplicate", 1)], title="t", x_label="x", y_label="y")):
        assert not [t for t in _ticks(chart) if "." in t], _ticks(chart)


def test_every_histogram_bucket_is_labelled() -> None:
    chart = svg.columns(LABELS, {"tasks": [0, 3, 12, 20, 1, 0, 0, 0]}, title="turnaround",
                        x_label="hours", y_label="tasks", width=440, height=220)
    shown = " ".join(_ticks(chart))
    for label in LABELS:
        assert all(part in shown for part in label.rsplit(" ", 1)), label


def test_the_page_has_the_agent_health_table_and_html_alone_prints_only_where(
        runner: MpoRunner, tmp_path: Path) -> None:
    made = runner("demo", "--dir", str(tmp_path / "demo"))
    assert made.exit_code == 0, made.stderr
    root = ["--db", str(tmp_path / "demo" / "mpo.db"),
            "--token-file", str(tmp_path / "demo" / "admin.token")]
    report = tmp_path / "report.html"
    wrote = runner(*root, "stats", "--since", "-8d", "--html", str(report))
    assert wrote.exit_code == 0, wrote.stderr
    assert wrote.stdout == "" and wrote.stderr == f"wrote {report}\n"
    page = report.read_text(encoding="utf-8")
    health = page.split("<h2>Agent health</h2>", 1)[1].split("</table>", 1)[0]
    for header in ("agent", "score", "band", "approval", "completion", "speed", "bottleneck"):
        assert f"<th>{header}</th>" in health
    assert "<td>marketplace-amazon</td>" in health and "<td>marketplace-master</td>" in health
    both = runner(*root, "stats", "--since", "-8d", "--html", str(report), "--json")
    assert both.stdout.startswith("{")  # asked for: printed too

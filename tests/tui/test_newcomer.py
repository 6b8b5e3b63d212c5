"""What a newcomer saw in the terminal apps (issue 24): the agent's approval rate is
current after a decision, space marks and moves on as the footer and the docs say, the
dashboard lists only agents, and its bottom line ends in an ellipsis when cut."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.widgets import OptionList

from mpo.cli.context import AppContext
from mpo.tui.dashboard import DashboardApp
from mpo.tui.review import ReviewApp
from tests.conftest import MpoRunner
from tests.tui.conftest import Propose
from tests.tui.test_review import run

DOCS = Path(__file__).parents[2] / "docs" / "review.md"


def test_the_approval_rate_is_read_again_after_a_decision(
        propose: Propose, context: AppContext) -> None:
    propose(2)
    seen: dict[str, str] = {}

    async def script(app: ReviewApp, pilot: Any) -> None:
        seen["before"] = str(app.query_one("#detail").render())
        await pilot.press("a")
        await pilot.pause()
        seen["after"] = str(app.query_one("#detail").render())

    run(context, script)
    assert "no decisions in the last 30 days" in seen["before"]
    assert "100% of 1 approved in the last 30 days" in seen["after"]


def test_space_marks_and_moves_on_as_the_footer_and_docs_say(
        propose: Propose, context: AppContext) -> None:
    propose(3)
    seen: dict[str, Any] = {}

    async def script(app: ReviewApp, pilot: Any) -> None:
        queue = app.query_one("#queue", OptionList)
        seen["start"] = queue.highlighted
        await pilot.press("space")
        seen["after"] = queue.highlighted
        seen["marked"] = len(app.marked)

    app = run(context, script)
    assert seen["marked"] == 1 and seen["after"] == seen["start"] + 1
    label = next(b for b in ReviewApp.BINDINGS if getattr(b, "key", "") == "space")
    assert "next" in label.description  # type: ignore[union-attr]
    row = next(line for line in DOCS.read_text(encoding="utf-8").splitlines()
               if line.startswith("| space |"))
    assert "go to the next" in row and "Mark+next" in row
    assert app.marked


def test_the_dashboard_lists_only_agents_and_ellipsises_its_bottom_line(
        runner: MpoRunner, propose: Propose, context: AppContext) -> None:
    propose(1, title="Rewrite the GEO titles of every listing in the spring catalogue " * 3)
    made = runner("create", "-m", "amazon", "-t", "an admin's own task", "-c",
                  "optimization", "-e", "1", "--created-by", "marketplace-amazon")
    assert made.exit_code == 0, made.stderr
    own = runner("create", "-m", "amazon", "-t", "root's own", "-c", "optimization", "-e", "1")
    app = DashboardApp(context.database, context.actor, interval=60)
    seen: dict[str, Any] = {}

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.3)
            assert app.snapshot is not None
            seen["agents"] = [name for name, _ in app.snapshot.agents]
            seen["panel"] = str(app.query_one("#agents").render())
            seen["oldest"] = str(app.query_one("#oldest").render())
            await pilot.press("q")

    asyncio.run(main())
    assert own.exit_code == 0, own.stderr  # an admin's own task: root is no agent
    assert "root" not in seen["agents"] and "root" not in seen["panel"]
    assert "marketplace-amazon" in seen["agents"]
    assert seen["oldest"].rstrip().endswith("…"), seen["oldest"]

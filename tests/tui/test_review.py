"""`mpo review` driven headless with Textual's pilot: keys in, the database read back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from textual.widgets import OptionList

from mpo.cli.context import AppContext
from mpo.tui.review import ReviewApp
from tests.conftest import MpoRunner
from tests.readback import fetch
from tests.tui.conftest import Propose

Script = Callable[[ReviewApp, object], Awaitable[None]]


def run(context: AppContext, script: Script, **options: object) -> ReviewApp:
    """Run the app in an 80x24 headless terminal and play `script` on it."""
    app = ReviewApp(context.database, context.actor, context.settings.rules, **options)  # type: ignore[arg-type]

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await script(app, pilot)
            await pilot.pause()

    asyncio.run(main())
    return app


def statuses(url: str) -> dict[str, str]:
    return {str(r["id"]): r["status"] for r in fetch(url, "SELECT id, status FROM task")}


def canonical(url: str) -> dict[str, str]:
    import uuid

    return {str(uuid.UUID(k)): v for k, v in statuses(url).items()}


def test_an_admin_clears_200_proposals_in_80x24_without_the_mouse(
    propose: Propose, context: AppContext, db_url: str
) -> None:
    ids = propose(120) + propose(80, marketplace="shopee")

    async def script(app: ReviewApp, pilot: object) -> None:
        await pilot.press("asterisk", "a")  # type: ignore[attr-defined]

    app = run(context, script)
    assert app.no_color  # NO_COLOR is set for every test
    assert set(canonical(db_url).values()) == {"approved"} and len(ids) == 200
    events = fetch(db_url, "SELECT batch_id, actor FROM task_event WHERE action = 'approve'")
    assert len(events) == 200 and len({e["batch_id"] for e in events}) == 1  # one batch
    assert {e["actor"] for e in events} == {"root"}
    assert app.tasks == {} and app.last_batch is not None


def test_approve_reject_with_a_reason_and_skip_one_by_one(
    propose: Propose, context: AppContext, db_url: str
) -> None:
    propose(3)
    order: list[str] = []

    async def script(app: ReviewApp, pilot: object) -> None:
        order.extend(str(t.id) for t in app.shown_tasks())
        press = pilot.press  # type: ignore[attr-defined]
        await press("r", "escape")  # a rejection cancelled changes nothing
        await press("a")  # approves the first, moves on to the second
        await press("r")  # the reason-code picker
        await press("down", "enter")  # the second code
        await pilot.pause()  # type: ignore[attr-defined]
        await press(*"same as 3f2a", "enter")
        await press("s")  # the third is left alone

    run(context, script)
    now = canonical(db_url)
    assert [now[i] for i in order] == ["approved", "rejected", "awaiting_approval"]
    rejected = fetch(db_url, "SELECT rejection_code, rejection_reason FROM task "
                             "WHERE status = 'rejected'")
    assert rejected == [{"rejection_code": "out-of-scope", "rejection_reason": "same as 3f2a"}]


def test_a_batch_is_all_or_nothing(runner: MpoRunner, propose: Propose, context: AppContext,
                                   db_url: str) -> None:
    first, second = propose(2)

    async def script(app: ReviewApp, pilot: object) -> None:
        await pilot.press("space", "space")  # type: ignore[attr-defined]
        # Another admin decides one of them while the app shows it.
        assert runner("reject", second, "--reason-code", "duplicate").exit_code == 0
        await pilot.press("a")  # type: ignore[attr-defined]

    app = run(context, script)
    now = canonical(db_url)
    assert (now[first], now[second]) == ("awaiting_approval", "rejected")
    assert app.last_batch is None and len(app.marked) == 2


def test_filter_group_and_undo_keys(propose: Propose, context: AppContext, db_url: str) -> None:
    propose(3, title="Rewrite GEO titles")
    budget = propose(2, marketplace="shein", title="Scale ad budget", listing_id="B0-SHEIN-7")

    async def script(app: ReviewApp, pilot: object) -> None:
        press = pilot.press  # type: ignore[attr-defined]
        await press("u")
        assert [n.message for n in app._notifications][-1] == "nothing to undo"
        await press("slash", *"budget", "enter")
        assert [t.marketplace for t in app.shown_tasks()] == ["shein", "shein"]
        await press("asterisk", "a")
        assert sorted(canonical(db_url).values()) == ["approved"] * 2 + [
            "awaiting_approval"] * 3
        await press("slash", "escape")
        assert len(app.shown_tasks()) == 3 and app.filter_text == ""
        await press("g")
        assert app.grouping == "agent"
        await press("u")  # the two approvals go back to the queue, read again
        assert {canonical(db_url)[i] for i in budget} == {"awaiting_approval"}
        assert len(app.tasks) == 5 and app.last_batch is None
        await press("g")
        assert app.grouping == "listing"
        queue = app.query_one("#queue", OptionList)
        groups = [str(o.prompt) for o in queue.options if o.disabled]
        assert groups == ["(none) (3)", "B0-SHEIN-7 (2)"]
        await press("g")
        assert app.grouping == "marketplace"
        await press("u")

    app = run(context, script)
    assert sorted(canonical(db_url).values()) == ["awaiting_approval"] * 5
    messages = [n.message for n in app._notifications]
    assert messages[-2].startswith("undid 2 tasks, batch ") and messages[-1] == "nothing to undo"
    events = fetch(db_url, "SELECT task_id, action, actor, from_status, to_status FROM task_event"
                           " WHERE action = 'undo'")
    assert sorted((e["actor"], e["from_status"], e["to_status"]) for e in events) == [
        ("root", "approved", "awaiting_approval")] * 2


def test_review_refuses_to_start_without_a_terminal(runner: MpoRunner, db_url: str) -> None:
    result = runner("review")
    assert result.exit_code == 2
    assert "needs a terminal" in result.stderr and "mpo approve" in result.stderr

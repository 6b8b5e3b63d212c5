"""`mpo dashboard` headless with the pilot: it shows the numbers, refreshes when the
database changes (and only then), reads every aggregate from an index, and quits on q."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from mpo.cli.context import AppContext
from mpo.core.usecases.dashboard import snapshot
from mpo.tui.dashboard import DashboardApp
from tests.conftest import MpoRunner
from tests.tui.conftest import Propose


def test_the_dashboard_refreshes_when_the_database_changes_and_quits_on_q(
    runner: MpoRunner, propose: Propose, context: AppContext
) -> None:
    first, *_ = propose(3)
    propose(1, marketplace="shein")
    app = DashboardApp(context.database, context.actor, interval=0.1)
    seen: dict[str, Any] = {}

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.3)
            assert app.snapshot is not None and app.reads == 1  # ticks without change
            seen["before"] = dict(app.snapshot.statuses)
            seen["awaiting"] = dict(app.snapshot.awaiting)
            seen["screen"] = str(app.query_one("#pipeline").render())
            assert runner("approve", first).exit_code == 0
            await pilot.pause(0.4)
            seen["after"] = dict(app.snapshot.statuses)
            seen["approvals"] = app.snapshot.approvals
            seen["reads"] = app.reads
            await pilot.press("q")
            await pilot.pause()
            seen["running"] = app.is_running

    asyncio.run(main())
    assert seen["before"] == {"awaiting_approval": 4}
    assert seen["awaiting"] == {"amazon": 3, "shein": 1}
    assert "awaiting_approval" in seen["screen"]
    assert seen["after"] == {"awaiting_approval": 3, "approved": 1}
    assert seen["approvals"][-1][1] == 1 and seen["reads"] == 2
    assert not seen["running"]


def test_ctrl_c_quits_the_dashboard(context: AppContext) -> None:
    app = DashboardApp(context.database, context.actor, interval=5)
    running: list[bool] = []

    async def main() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "nothing awaits approval" in str(app.query_one("#awaiting").render())
            await pilot.press("ctrl+c")
            await pilot.pause()
            running.append(app.is_running)

    asyncio.run(main())
    assert running == [False]


STATUS_COUNT = "SCAN task USING COVERING INDEX ix_task_status_created_at"


def test_every_dashboard_query_reads_an_index(propose: Propose, context: AppContext) -> None:
    propose(2)
    db = context.database
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
        if "FROM task" in sql and "alembic" not in sql and "principal" not in sql:
            statements.append((sql, params))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        shot = snapshot(db, context.actor)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert shot.oldest is not None and len(shot.approvals) == 7
    assert len(statements) >= 5
    with db.engine.connect() as conn:
        for sql, params in statements:
            plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {sql}", params))
            scans = [step for step in plan.split(" | ") if step.startswith("SCAN")]
            # Only the per-status count walks a whole index (a covering one); every other
            # query seeks a range.
            assert scans in ([], [STATUS_COUNT]), (sql, plan)

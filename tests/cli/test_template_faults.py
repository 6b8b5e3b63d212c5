"""One bad template never stops every tick (issue 22, finding 3): a schedule that never
fires is refused when it is added; a template that fails anyway (stored before schedules
were checked) is named, counted and exits 11, and the others tick. On both databases, as
an app login on PostgreSQL."""

from __future__ import annotations

from mpo.core.tables.models import TaskTemplate
from mpo.store.database import SqlDatabase
from tests.conftest import MpoRunner
from tests.delivery.world import World, world

__all__ = ["world"]  # fixtures

TEMPLATE = ("-m", "amazon", "-t", "Hourly stock check", "-c", "analysis", "-e", "1",
            "--created-by", "marketplace-amazon")
NEVER = "0 0 31 2 *"  # February 31st
AT = "2026-12-01T10:30:00+00:00"


def test_a_schedule_that_never_fires_is_refused_when_added(runner: MpoRunner,
                                                           world: World) -> None:
    refused = runner("template", "add", "never", *TEMPLATE, "--every", NEVER)
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: every: '0 0 31 2 *' never fires")
    assert runner.json("template", "list") == []


def test_one_failing_template_never_stops_the_others(runner: MpoRunner, world: World) -> None:
    added = runner.json("template", "add", "stock", *TEMPLATE, "--every", "0 * * * *",
                        "--starts", "2026-12-01T10:00:00+00:00")
    with SqlDatabase(world.url).write() as uow:  # as an older mpo stored it, unchecked
        uow.templates.add(TaskTemplate(name="broken", fields=added["fields"], every=NEVER,
                                       created_by="root"))
        uow.commit()
    ticked = runner("tick", "--at", AT, "--json")
    assert ticked.exit_code == 11, ticked.stderr
    assert "failed template broken: " in ticked.stderr
    assert "created 1, existing 0, skipped 0, failed 1" in ticked.stderr
    assert "error: 1 of the templates failed to tick: broken" in ticked.stderr
    assert [t["title"] for t in runner.json("list")] == ["Hourly stock check"]

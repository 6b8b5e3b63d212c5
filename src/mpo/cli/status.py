"""`mpo status`: agents, the queue and alerts; `--check` exits 10 when an alert fires."""

from __future__ import annotations

from typing import Annotated

import typer

from mpo.cli.context import current
from mpo.cli.options import TeamOption
from mpo.cli.output import Mode, Output, choose_mode, message

app = typer.Typer()

AGENT_FIELDS = ("agent", "marketplace", "last_created_at", "tasks_today", "tasks_7d",
                "approval_rate", "health_score", "health")
CLAIM_FIELDS = ("task_id", "title", "marketplace", "holder", "claimed_at", "lease_expires_at",
                "lease_left_s")
QUEUE_FIELDS = ("pending", "awaiting_approval", "approved_unassigned", "in_progress",
                "overdue", "stale")


@app.command(rich_help_panel="Reports")
def status(
    json_: Annotated[bool, typer.Option("--json", help="Output the JSON document.")] = False,
    check: Annotated[bool, typer.Option(
        "--check", help="Exit 10 when an alert fires (for cron and monitors).")] = False,
    team: TeamOption = None,
) -> None:
    """Show each agent's activity and health, the queue, the claims (who holds which task,
    for how much longer), and alerts.

    Example: mpo status --check
    """
    from mpo.core.domain.errors import AlertFired
    from mpo.core.usecases.status import Thresholds
    from mpo.core.usecases.status import status as compute

    app_ctx = current()
    s = app_ctx.settings
    report = compute(app_ctx.database, app_ctx.actor, zone=s.timezone, limits=Thresholds(
        s.alert_awaiting_over, s.alert_silent_hours, s.alert_stale_days), team=team)
    mode = choose_mode(json_=json_, jsonl=False, csv_=False)
    if mode is Mode.JSON:
        Output(mode, ()).record({}, extra=report.document())
    else:
        Output(mode, AGENT_FIELDS).rows(
            [vars(a) for a in report.agents], title="agents")
        queue = vars(report.queue) | report.queue.custom  # custom states after the rest
        names = (*QUEUE_FIELDS, *report.queue.custom)
        Output(mode, names).rows([queue], title="queue")
        if report.claims:
            Output(mode, CLAIM_FIELDS).rows([vars(c) for c in report.claims], title="claims")
        if not check:  # with --check, the error line names them all
            for alert in report.alerts:
                message(f"alert: {alert['message']}")
    if check and report.alerts:
        raise AlertFired(f"{len(report.alerts)} alert(s): "
                         + "; ".join(a["message"] for a in report.alerts))

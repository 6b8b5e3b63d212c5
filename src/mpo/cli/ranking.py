"""`mpo list --sort score [--explain]`: render the ranked tasks (the list command parses)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mpo.cli.context import current
from mpo.cli.output import Mode, Output
from mpo.core.domain import task_fields, validation
from mpo.core.domain.errors import UsageError
from mpo.report.fields import EXPLAINED, explained_row

if TYPE_CHECKING:
    from mpo.core.domain.selection import TaskQuery

ORDERS = ("created", "score")


def ranked_list(query: TaskQuery, sort: str, explain: bool, out: Output) -> None:
    """Tasks by score, as task rows, or with `explain` as points per term."""
    from mpo.core.domain.score import parse_weights
    from mpo.core.usecases.ranking import rank_tasks

    validation.one_of("sort", sort, ORDERS)
    if sort != "score":
        raise UsageError("list: --explain needs --sort score")
    app_ctx = current()
    weights = parse_weights(app_ctx.settings.score_weights)
    ranked = rank_tasks(app_ctx.database, app_ctx.actor, query, app_ctx.rules,
                        weights)
    if not explain:
        out.rows(task_fields.task_row(r.task) for r in ranked)
        return
    programs = out.mode in (Mode.JSON, Mode.JSONL, Mode.CSV)
    # Every term is a share of the score: none is dropped on a narrow terminal.
    Output(out.mode, EXPLAINED.pick(None, everything=programs), droppable=()).rows(
        explained_row(r) for r in ranked)

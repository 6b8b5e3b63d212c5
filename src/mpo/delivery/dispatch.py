"""After a unit of work commits events: run the shell hooks and the plugins' `mpo_event`.

Attached by the bootstrap to every door's database (the CLI's, `mpo serve`'s and so each
request's, the TUI's), so a change fires them once whichever door it came through; costs
nothing until a commit carries events, then reads the config's hooks and loads plugins.
Every failure is reported, not raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mpo.delivery.plugins import report

if TYPE_CHECKING:
    from mpo.core.tables.models import Task, TaskEvent
    from mpo.store.database import SqlDatabase
    from mpo.store.unit_of_work import AfterCommit


def attach(db: SqlDatabase) -> None:
    """Make `db` hand committed events to the hooks and plugins, if any are configured
    or installed (otherwise the events written are not even read back)."""
    from mpo.config.events import hooks as configured
    from mpo.delivery import plugins

    if not configured() and not plugins.entries():
        return

    def consumer(acting: SqlDatabase) -> AfterCommit:
        del acting  # the tasks come with the events, read inside their transaction

        def committed(events: Sequence[TaskEvent], tasks: Mapping[uuid.UUID, Task]) -> None:
            try:
                _dispatch(events, tasks)
            except Exception as exc:  # never let a consumer undo or fail the verb
                report("after-commit delivery", exc)

        return committed

    db.attach(consumer)


def _dispatch(events: Sequence[TaskEvent], tasks: Mapping[uuid.UUID, Task]) -> None:
    from mpo.config.events import hooks as configured
    from mpo.delivery import hooks, payload, plugins

    shell = configured()
    pm = plugins.manager()
    if not shell and not pm.hook.mpo_event.get_hookimpls():
        return
    docs = [payload.document(e, tasks.get(e.task_id)) for e in events]
    hooks.run_matching(shell, docs)
    for doc in docs:
        plugins.call_each("mpo_event", event=doc)

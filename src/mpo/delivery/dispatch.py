"""After a unit of work commits events: run the shell hooks and the plugins' `mpo_event`.

Attached by the bootstrap to every door's database (the CLI's, `mpo serve`'s and so each
request's, the TUI's), so a change fires them once whichever door it came through; costs
nothing until a commit carries events, then reads the config's hooks and loads plugins.
Every failure is reported, not raised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mpo.delivery.plugins import report

if TYPE_CHECKING:
    from mpo.core.models import TaskEvent
    from mpo.store.database import SqlDatabase


def attach(db: SqlDatabase) -> None:
    """Make `db` hand committed events to the hooks and plugins, if any are configured
    or installed (otherwise the events written are not even read back)."""
    from mpo.config.events import hooks as configured
    from mpo.delivery import plugins

    if not configured() and not plugins.entries():
        return

    def consumer(acting: SqlDatabase) -> Callable[[Sequence[TaskEvent]], None]:
        def committed(events: Sequence[TaskEvent]) -> None:
            try:
                _dispatch(acting, events)
            except Exception as exc:  # never let a consumer undo or fail the verb
                report("after-commit delivery", exc)

        return committed

    db.attach(consumer)


def _dispatch(db: SqlDatabase, events: Sequence[TaskEvent]) -> None:
    from mpo.config.events import hooks as configured
    from mpo.delivery import hooks, payload, plugins

    shell = configured()
    pm = plugins.manager()
    if not shell and not pm.hook.mpo_event.get_hookimpls():
        return
    with db.read() as uow:
        tasks = {e.task_id: uow.tasks.get(e.task_id) for e in events}
    docs = [payload.document(e, tasks[e.task_id]) for e in events]
    hooks.run_matching(shell, docs)
    for doc in docs:
        plugins.call_each("mpo_event", event=doc)

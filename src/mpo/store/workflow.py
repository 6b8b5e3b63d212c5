"""SQL for custom workflows: the declared states, and the edges the core derived from them
(which the PostgreSQL guards read)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from mpo.core.domain.lifecycle import Lifecycle
from mpo.core.domain.workflow import CustomState
from mpo.core.tables.models import Task, WorkflowEdge, WorkflowState


class SqlWorkflowStore:
    """The store's `mpo.core.ports.WorkflowStore`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._states: tuple[CustomState, ...] | None = None

    def states(self) -> tuple[CustomState, ...]:
        if self._states is None:
            rows = self.session.scalars(
                select(WorkflowState).order_by(col(WorkflowState.position)))
            self._states = tuple(CustomState(r.name, r.after, tuple(r.enter), tuple(r.leave),
                                             r.distinct) for r in rows)
        return self._states

    def replace(self, states: Sequence[CustomState], lifecycle: Lifecycle) -> None:
        self.session.execute(delete(WorkflowEdge))
        self.session.execute(delete(WorkflowState))
        self.session.add_all([
            WorkflowState(position=n, name=s.name, after=s.after, enter=list(s.enter),
                          leave=list(s.leave), distinct=s.distinct)
            for n, s in enumerate(states)])
        if states:  # no rows: the guards enforce the built-in table
            self.session.add_all([
                WorkflowEdge(action=spec.action, source=source, target=spec.target,
                             roles=None if spec.roles is None else sorted(spec.roles),
                             not_by_assignee=spec.not_by_assignee)
                for spec in lifecycle.actions.values() for source in sorted(spec.sources)])
        self.session.flush()
        self._states = tuple(states)

    def counts(self, statuses: Sequence[str]) -> dict[str, int]:
        stmt = (select(col(Task.status), func.count()).where(col(Task.status).in_(statuses))
                .group_by(col(Task.status)))
        return {str(status): int(n) for status, n in self.session.execute(stmt)}

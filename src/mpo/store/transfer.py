"""What `mpo import` needs beyond the task repository: which event ids are taken, and
moving PostgreSQL's event id sequence past ids written explicitly."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, text
from sqlmodel import Session, col

from mpo.core.domain.errors import PermissionDenied
from mpo.core.tables.models import TaskEvent


class SqlTransfer:
    """The store's implementation of `mpo.core.ports.TransferStore`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def taken_event_ids(self, ids: Sequence[int]) -> set[int]:
        if not ids:
            return set()
        stmt = select(col(TaskEvent.id)).where(col(TaskEvent.id).in_(ids))
        return {i for i in self.session.scalars(stmt) if i is not None}

    def require_owner(self) -> None:
        # An import writes tasks in any status and events by anyone: on PostgreSQL only the
        # owner may (row-level security and the app role's grants stop everyone else).
        if self.session.get_bind().dialect.name != "postgresql":
            return
        user, owner, allowed = self.session.execute(text(
            "SELECT current_user, t.tableowner, pg_has_role(current_user, t.tableowner, "
            "'MEMBER') FROM pg_tables t WHERE t.tablename = 'task' "
            "AND t.schemaname = current_schema()")).one()
        if not allowed:
            raise PermissionDenied(f"import: on PostgreSQL connect as the database owner "
                                   f"({owner}), not {user}; see docs/export.md")

    def flush(self) -> None:
        self.session.flush()

    def after_import(self) -> None:
        # Explicit ids do not advance a PostgreSQL sequence: the next event would collide.
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text(
                "SELECT setval(pg_get_serial_sequence('task_event', 'id'), "
                "coalesce((SELECT max(id) FROM task_event), 0) + 1, false)"))

"""One transaction and the repositories bound to it: `SqlUnitOfWork`. Leaving it without
`commit()` rolls back; after a commit, the events it wrote go to the after-commit consumers
(hooks, plugins) with their tasks as the transaction left them.

Repositories other than tasks and principals are imported when first used, so a command
loads only the queries it runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from sqlmodel import Session

from mpo.store import announce
from mpo.store.group_commit import COMMITTED
from mpo.store.principals import SqlPrincipalRepository
from mpo.store.repository import SqlTaskRepository

if TYPE_CHECKING:
    from mpo.core.tables.models import Task, TaskEvent
    from mpo.store.archive import SqlArchive
    from mpo.store.audit_queries import SqlAuditQueries
    from mpo.store.dashboard_queries import SqlDashboardQueries
    from mpo.store.distribution_queries import SqlDistributions
    from mpo.store.history import SqlHistoryQueries
    from mpo.store.idempotency import SqlIdempotencyKeys
    from mpo.store.leases import SqlLeaseStore
    from mpo.store.notifications import SqlNotificationLog
    from mpo.store.routing_state import SqlRoutingStore
    from mpo.store.stats_queries import SqlStatsQueries
    from mpo.store.status_queries import SqlStatusQueries
    from mpo.store.stream import SqlEventStream
    from mpo.store.subtasks import SqlSubtaskRepository
    from mpo.store.teams import SqlTeamRepository
    from mpo.store.templates import SqlTemplateStore
    from mpo.store.transfer import SqlTransfer
    from mpo.store.web_sessions import SqlWebSessions
    from mpo.store.webhooks import SqlWebhookRepository
    from mpo.store.workflow import SqlWorkflowStore


#: Called with the events a unit of work committed, once they are durable (hooks, plugins),
#: and their tasks as the transaction left them.
AfterCommit = Callable[[Sequence["TaskEvent"], Mapping[uuid.UUID, "Task"]], None]


class Seen:
    """The horizon (settled, allocated) of the latest stream read through one database
    object, for the waker opened from it (PostgreSQL; store/stream.py, store/wake.py): a
    read that stopped below the newest id (`settled < allocated`) was held back by an open
    transaction, whose rollback notifies nobody, so the waker then watches the horizon."""

    def __init__(self) -> None:
        self.last: tuple[int, int] | None = None


class SqlUnitOfWork:
    """One transaction and the repositories bound to it."""

    def __init__(self, session: Session, after_commit: Sequence[AfterCommit] = (),
                 seen: Seen | None = None) -> None:
        self.session = session
        self.tasks = SqlTaskRepository(session, keep_events=bool(after_commit))
        self.principals = SqlPrincipalRepository(session)
        self.after_commit = after_commit
        self.seen = seen
        self.committed = False

    @cached_property
    def stats(self) -> SqlStatsQueries:
        """The stats queries, imported only by the commands that read them."""
        from mpo.store.stats_queries import SqlStatsQueries

        return SqlStatsQueries(self.session)

    @cached_property
    def dashboard(self) -> SqlDashboardQueries:
        """The dashboard's reads. Imported only by the commands that use them."""
        from mpo.store.dashboard_queries import SqlDashboardQueries

        return SqlDashboardQueries(self.session)

    @cached_property
    def transfer(self) -> SqlTransfer:
        """Import and export. Imported only by the commands that use them."""
        from mpo.store.transfer import SqlTransfer

        return SqlTransfer(self.session)

    @cached_property
    def distributions(self) -> SqlDistributions:
        """The report's histograms. Imported only by the commands that use them."""
        from mpo.store.distribution_queries import SqlDistributions

        return SqlDistributions(self.session)

    @cached_property
    def history(self) -> SqlHistoryQueries:
        """Reads of past work (estimates, health, campaigns), imported only where used."""
        from mpo.store.history import SqlHistoryQueries

        return SqlHistoryQueries(self.session)

    @cached_property
    def subtasks(self) -> SqlSubtaskRepository:
        """Subtasks and their checkpoints. Imported only by the commands that use them."""
        from mpo.store.subtasks import SqlSubtaskRepository

        return SqlSubtaskRepository(self.session)

    @cached_property
    def audit(self) -> SqlAuditQueries:
        """Reads of the audit trail for undo and expiry, imported only where used."""
        from mpo.store.audit_queries import SqlAuditQueries

        return SqlAuditQueries(self.session)

    @cached_property
    def archive(self) -> SqlArchive:
        """Archived tasks and the move (`mpo archive`), imported only where used."""
        from mpo.store.archive import SqlArchive

        return SqlArchive(self.session)

    @cached_property
    def status(self) -> SqlStatusQueries:
        """The aggregates of `mpo status`, imported only where used."""
        from mpo.store.status_queries import SqlStatusQueries

        return SqlStatusQueries(self.session)

    @cached_property
    def routing(self) -> SqlRoutingStore:
        """Routing rules' shared state, imported only where used."""
        from mpo.store.routing_state import SqlRoutingStore

        return SqlRoutingStore(self.session)

    @cached_property
    def teams(self) -> SqlTeamRepository:
        """Teams and their members, imported only where used."""
        from mpo.store.teams import SqlTeamRepository

        return SqlTeamRepository(self.session)

    @cached_property
    def workflow(self) -> SqlWorkflowStore:
        """The custom workflow in force (read once per unit of work)."""
        from mpo.store.workflow import SqlWorkflowStore

        return SqlWorkflowStore(self.session)

    @cached_property
    def templates(self) -> SqlTemplateStore:
        """Task templates, imported only where used."""
        from mpo.store.templates import SqlTemplateStore

        return SqlTemplateStore(self.session)

    @cached_property
    def stream(self) -> SqlEventStream:
        """The audit log read as a stream, imported only where used."""
        from mpo.store.stream import SqlEventStream

        return SqlEventStream(self.session, self.seen)

    @cached_property
    def webhooks(self) -> SqlWebhookRepository:
        """Webhooks and their deliveries, imported only where used."""
        from mpo.store.webhooks import SqlWebhookRepository

        return SqlWebhookRepository(self.session)

    @cached_property
    def notifications(self) -> SqlNotificationLog:
        """Notifications sent, imported only where used."""
        from mpo.store.notifications import SqlNotificationLog

        return SqlNotificationLog(self.session)

    @cached_property
    def leases(self) -> SqlLeaseStore:
        from mpo.store.leases import SqlLeaseStore

        return SqlLeaseStore(self.session)

    @cached_property
    def idempotency(self) -> SqlIdempotencyKeys:
        """Idempotency keys, imported only by the verbs given one."""
        from mpo.store.idempotency import SqlIdempotencyKeys

        return SqlIdempotencyKeys(self.session)

    @cached_property
    def web_sessions(self) -> SqlWebSessions:
        """Browser sessions (`mpo serve`'s web pages), imported only where used."""
        from mpo.store.web_sessions import SqlWebSessions

        return SqlWebSessions(self.session)

    def as_history(self) -> None:
        self.after_commit = ()

    def commit(self) -> None:
        # On PostgreSQL a commit that wrote events NOTIFYs the stream's listeners once it
        # has landed (store/announce.py); the after-commit consumers run after that.
        if self.tasks.wrote_events and self.tasks.postgres:
            announce.mark(self.session)
        self.session.commit()
        self.committed = True
        self.session.info[COMMITTED] = True
        if not self.after_commit:
            return
        appended = self.tasks.committed_events()
        tasks, self.tasks.committed_tasks = self.tasks.committed_tasks, {}
        for consumer in self.after_commit if appended else ():
            consumer(appended, tasks)

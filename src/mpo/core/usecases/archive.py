"""`mpo archive`: move terminal tasks that ended before a cutoff, with their events, to the
archive tables, one transaction per chunk (docs/archive.md).

A run is many transactions on purpose: each chunk commits its tasks, their events and its
record (`archive_batch`) together, so a run killed at any moment leaves every task either
live or archived, whole, and the record says exactly what moved. Running it again goes on
where it stopped. Reads (`show`, `log`, `export`, `stats`) find archived tasks.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from mpo.core.domain import permissions, timeparse
from mpo.core.domain.clock import Clock, utcnow
from mpo.core.domain.errors import ValidationError
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.ports import Database
from mpo.core.tables.models import Task
from mpo.core.usecases.identity import refusals_recorded

DEFAULT_CHUNK = 1000
#: A chunk is one transaction: big enough to amortise a commit, small enough to hold
#: SQLite's write lock for a moment only.
MAX_CHUNK = 10_000


@dataclass(frozen=True)
class ArchiveRun:
    """What a run moved (or, dry, would move)."""

    run_id: uuid.UUID
    cutoff: datetime
    dry_run: bool
    tasks: int
    events: int
    chunks: int
    #: A dry run's tasks due, oldest end first.
    due: list[Task] = field(default_factory=list)


def archive(db: Database, actor: Actor, *, before: str, chunk: int = DEFAULT_CHUNK,
            dry_run: bool = False, clock: Clock = utcnow,
            progress: Callable[[int], None] | None = None) -> ArchiveRun:
    """Archive every terminal task that ended more than `before` (180d, 26w) ago."""
    with refusals_recorded(db, actor, Verb.ARCHIVE):
        permissions.require(actor, Verb.ARCHIVE)
        age = timeparse.parse_duration("before", before)
        if not 1 <= chunk <= MAX_CHUNK:
            raise ValidationError("chunk", f"{chunk} is not a number of tasks from 1 to "
                                           f"{MAX_CHUNK}")
        now = clock()
        cutoff = now - age
        run_id = uuid.uuid4()
        if dry_run:
            with db.read() as uow:
                due = uow.archive.due(cutoff, None)
            return ArchiveRun(run_id, cutoff, True, len(due), 0, 0, due)
        tasks = events = chunks = 0
        while True:
            with db.write() as uow:
                moved, logged = uow.archive.move(run_id, actor.name, cutoff, chunk, now)
                if not moved:
                    break
                uow.commit()
            tasks, events, chunks = tasks + moved, events + logged, chunks + 1
            if progress is not None:
                progress(tasks)
            if moved < chunk:
                break
        return ArchiveRun(run_id, cutoff, False, tasks, events, chunks)

"""What the task use cases return, and how a batch reports the items it refuses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mpo.core.domain.errors import BatchRejected, ItemProblem, MpoError

if TYPE_CHECKING:
    from mpo.core.domain.vocabulary import Action
    from mpo.core.tables.models import Task


@dataclass(frozen=True)
class Created:
    """A task returned by `create`, and whether this call made it (False on a retry)."""

    task: Task
    created: bool


@dataclass(frozen=True)
class CreateResult:
    """What a (bulk) create did, and the items it skipped with `skip_invalid`."""

    batch_id: uuid.UUID
    tasks: list[Created]
    skipped: list[ItemProblem] = field(default_factory=list)


@dataclass(frozen=True)
class ItemResult:
    """What a batch verb did (or would do) to one task."""

    task: Task
    from_status: str
    to_status: str
    outcome: str  # changed | would_change | skipped
    detail: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """The outcome of a batch verb: one batch id on every event it wrote."""

    action: Action | str
    batch_id: uuid.UUID
    dry_run: bool
    items: list[ItemResult]
    skipped: list[ItemProblem] = field(default_factory=list)
    #: What followed in the same transaction (routing after an approval).
    then: list[BatchResult] = field(default_factory=list)
    #: The first answer of a request retried with its idempotency key: nothing changed now.
    replayed: bool = False

    @property
    def task_ids(self) -> frozenset[uuid.UUID]:
        """The tasks the batch changes (or would change)."""
        return frozenset(i.task.id for i in self.items if i.outcome != "skipped")


def fail(action: str, problems: list[ItemProblem], errors: list[MpoError], items: int) -> None:
    """Raise the error of a one-item request as itself, or all of a batch's at once.

    A batch keeps its labels (`line 3`, the id typed) and says that nothing changed, even
    when only one of its items is bad.
    """
    if items == 1 and len(errors) == 1 and len(problems) == 1:
        raise errors[0]
    raise BatchRejected(action, problems)


def problem(label: str, error: MpoError) -> ItemProblem:
    return ItemProblem(label, error.message, error.exit_code)

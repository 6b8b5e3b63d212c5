"""How long things take, as histograms for the HTML report: approval turnaround (submitted
to decided) and execution time (started to completed), in buckets of hours that read well
on a log-like scale. Counted by the database, one indexed query each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from mpo.core.domain import permissions
from mpo.core.domain.permissions import Verb

if TYPE_CHECKING:
    from mpo.core.domain.permissions import Actor
    from mpo.core.ports import Database

#: Bucket upper edges in hours; the last bucket is everything from 7 days up.
EDGES: tuple[float, ...] = (1, 4, 12, 24, 48, 96, 168)
LABELS: tuple[str, ...] = ("< 1 h", "1-4 h", "4-12 h", "12-24 h", "1-2 d", "2-4 d", "4-7 d",
                           "≥ 7 d")


@dataclass(frozen=True)
class Histograms:
    """Counts per bucket (`LABELS` order) for the tasks decided / completed in a window."""

    turnaround: list[int]
    execution: list[int]


def histograms(db: Database, actor: Actor, since: datetime, until: datetime,
               marketplaces: Sequence[str] = ()) -> Histograms:
    """Both histograms for [since, until), optionally for some marketplaces only."""
    permissions.require(actor, Verb.STATS)
    with db.read() as uow:
        return Histograms(
            turnaround=uow.distributions.turnaround(EDGES, since, until, tuple(marketplaces)),
            execution=uow.distributions.execution(EDGES, since, until, tuple(marketplaces)),
        )

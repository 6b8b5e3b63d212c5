"""`mpo expire`: cancel proposals nobody acted on in time, as one batch with reason code
`expired`. Age counts from when a task entered its status (pending: created; awaiting
approval: submitted). Then tasks whose executor's lease ran out go back to approved
(`lease_expired`, docs/claim.md), reported as the batch's follow-up.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace

from mpo.core.domain import permissions, timeparse, validation
from mpo.core.domain.clock import Clock, utcnow
from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.results import BatchResult
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.ports import Database
from mpo.core.usecases.claims import return_lost
from mpo.core.usecases.identity import refusals_recorded
from mpo.core.usecases.transitions import transition

EXPIRED = "expired"
#: The statuses a proposal can go stale in.
EXPIRABLE = (Status.PENDING.value, Status.AWAITING_APPROVAL.value)


def expire(
    db: Database,
    actor: Actor,
    rules: Rules,
    *,
    older_than: str,
    statuses: Sequence[str] = (Status.AWAITING_APPROVAL.value,),
    dry_run: bool = False,
    clock: Clock = utcnow,
) -> BatchResult:
    """Cancel every task in `statuses` for longer than `older_than` (7d, 72h, 2w)."""
    with refusals_recorded(db, actor, Verb.EXPIRE):
        permissions.require(actor, Verb.EXPIRE)
        age = timeparse.parse_duration("older-than", older_than)
        chosen = tuple(validation.one_of("status", s, EXPIRABLE) for s in statuses or EXPIRABLE)
        now = clock()
        with db.read() as uow:
            stale = uow.audit.stale(chosen, now - age)
        given = TransitionParams(reason_code=EXPIRED, reason=f"no action for {older_than}")
        # A task approved meanwhile is skipped, not a failure: expiry is best effort.
        cancelled = transition(
            db, actor, Action.CANCEL, Selection(refs=tuple(str(t) for t in stale)), given,
            rules, dry_run=dry_run, skip_invalid=True, clock=lambda: now,
        ) if stale else BatchResult(Action.CANCEL, uuid.uuid4(), dry_run, [])
        returned = return_lost(db, actor, dry_run=dry_run, clock=clock)
        return replace(cancelled, then=[*cancelled.then, returned]) if returned.items \
            else cancelled

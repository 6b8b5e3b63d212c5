"""Execution with leases as lifecycle actions (docs/claim.md), declared like the others and
appended to `lifecycle.SPECS`:

    approved -> in_progress (claim: assigned to the claimer, with a lease)
    in_progress -> in_progress (heartbeat: the lease extended; note: a progress note)
    in_progress -> approved (release: given back; lease_expired: its lease ran out)

A lease is `task.lease_expires_at`. An action marked LIVE is refused (exit 5) once the
lease has run out, so an executor that lost its task cannot report work on it; `complete`
is LIVE too. `lease_expired` needs a lease that has run out: claims take it (the next claim
returns lost tasks first) and so does `mpo expire`. None of these but `claim` can be undone.
"""

from __future__ import annotations

from datetime import timedelta

from mpo.core.domain.action_spec import (
    ACTOR,
    CLEARED,
    EXPIRED,
    LEASE,
    LIVE,
    NOTE,
    NOW,
    ActionSpec,
    Param,
)
from mpo.core.domain.vocabulary import Action, Status

#: How long a lease lasts when `--lease` is not given.
DEFAULT_LEASE = timedelta(minutes=15)
LEASE_PARAM = Param("lease", "lease", "duration",
                    "How long the lease lasts (90s, 15m, 2h; default 15m); the task goes "
                    "back to approved when it runs out.")
#: What giving a task back clears: nobody holds it, nothing has started.
_GIVEN_BACK = (("assigned_to", CLEARED), ("assigned_by", CLEARED), ("started_at", CLEARED),
               ("lease_expires_at", CLEARED))
_APPROVED = frozenset({Status.APPROVED.value})
_RUNNING = frozenset({Status.IN_PROGRESS.value})


def _action(action: Action, sources: frozenset[str], target: Status, **rest: object
            ) -> ActionSpec:
    return ActionSpec(action=action.value, sources=sources, target=target.value,
                      verb=Action.CLAIM.value, **rest)  # type: ignore[arg-type]


EXECUTION: tuple[ActionSpec, ...] = (
    _action(Action.CLAIM, _APPROVED, Status.IN_PROGRESS,
            summary="Take the next approved, unassigned task you may execute, with a lease",
            done="claimed", params=(LEASE_PARAM,),
            stamps=(("assigned_to", ACTOR), ("assigned_by", ACTOR), ("started_at", NOW),
                    ("lease_expires_at", LEASE)),
            payload=(("lease_seconds", "lease"),), cli=False, http=False),
    _action(Action.HEARTBEAT, _RUNNING, Status.IN_PROGRESS,
            summary="Extend the lease on tasks you claimed", done="extended",
            params=(LEASE_PARAM,), stamps=(("lease_expires_at", LEASE),),
            payload=(("lease_seconds", "lease"),), lease=LIVE, undoable=False),
    _action(Action.RELEASE, _RUNNING, Status.APPROVED,
            summary="Give claimed tasks back, unassigned", done="released", params=(NOTE,),
            stamps=_GIVEN_BACK, undoable=False),
    _action(Action.NOTE, _RUNNING, Status.IN_PROGRESS,
            summary="Add a progress note to the history of a task in progress",
            done="noted", lease=LIVE, undoable=False, cli=False,
            params=(Param("note", "note", "text", "Required: the progress note.",
                          required=True, need="the note's text"),)),
    _action(Action.LEASE_EXPIRED, _RUNNING, Status.APPROVED,
            summary="Return tasks whose lease ran out to approved", done="returned",
            stamps=_GIVEN_BACK, lease=EXPIRED, undoable=False, cli=False, http=False),
)

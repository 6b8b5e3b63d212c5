"""Who tasks may be assigned to: active principals whose role may work on tasks.

`mpo assign ID --to anaa` once succeeded silently, leaving a task nobody could complete
(issue 11, defect 4). The roles come from the permission table: those that may start and
complete.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from mpo.core.domain.errors import ValidationError
from mpo.core.domain.permissions import PERMISSIONS, Role, Verb, assignee_refusal

if TYPE_CHECKING:
    from mpo.core.ports import UnitOfWork
    from mpo.core.tables.models import Task

#: The roles that may be given work: those the table lets start and complete it (people;
#: agents and the master take work by claiming it, docs/claim.md).
WORKERS: tuple[Role, ...] = tuple(r for r in Role if {Verb.START, Verb.COMPLETE}
                                  <= PERMISSIONS[r])


def require(uow: UnitOfWork, name: str) -> None:
    """Refuse an assignee who is not an active principal of a working role, naming close
    names (difflib) so a typo is one glance away from its fix."""
    workers = sorted(p.name for p in uow.principals.all()
                     if p.revoked_at is None and p.role in WORKERS)
    if name in workers:
        return
    roles = " or ".join(WORKERS)
    close = difflib.get_close_matches(name, workers, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else (
        f"; add one with `mpo principal add NAME --role {Role.MEMBER}`")
    raise ValidationError("to", f"{name!r} is not an active {roles}{hint}")


class TeamCheck:
    """Whether people may be given a task: only their team's work (issue 25). Each
    person's team is read once per unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.known: dict[str, tuple[str | None, tuple[str, ...] | None]] = {}

    def refusal(self, name: str, task: Task) -> str | None:
        """Why `name` may not be given `task`, or None."""
        if name not in self.known:
            found = self.uow.principals.by_name(name)
            self.known[name] = ((None, None) if found is None
                                else (found.team, self.uow.principals.markets(found)))
        team, markets = self.known[name]
        return assignee_refusal(name, team, markets, task)

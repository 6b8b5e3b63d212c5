"""The team members tests assign work to: `assign --to NAME` needs an active member or admin
(issue 11, defect 4), so every initialised test database has these."""

from __future__ import annotations

import hashlib

from mpo.core.tables.models import Principal
from mpo.store.database import SqlDatabase

MEMBERS = ("ana", "bea", "bob", "bruno")
#: Agents tasks may be created for (`--created-by` names an active agent or master).
AGENTS = (("marketplace-amazon", "amazon"), ("marketplace-shopee", "shopee"))


def add_members(url: str) -> None:
    """Register MEMBERS as members and AGENTS as agents, in one transaction (these tokens
    are never used: tests that act as an agent rotate its token); those already there are
    kept."""
    people = [(name, "member", None) for name in MEMBERS] + [
        (name, "agent", marketplace) for name, marketplace in AGENTS]
    with SqlDatabase(url).write() as uow:
        for name, role, marketplace in people:
            if uow.principals.by_name(name) is not None:
                continue
            digest = hashlib.sha256(f"test-{role}-{name}".encode()).hexdigest()
            uow.principals.add(Principal(name=name, role=role, marketplace=marketplace,
                                         token_hash=digest))
        uow.commit()

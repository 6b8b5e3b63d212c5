"""The team members tests assign work to: `assign --to NAME` needs an active member or admin
(issue 11, defect 4), so every initialised test database has these."""

from __future__ import annotations

import hashlib

from mpo.core.models import Principal
from mpo.store.database import SqlDatabase

MEMBERS = ("ana", "bea", "bob", "bruno")


def add_members(url: str) -> None:
    """Register MEMBERS as members, in one transaction (their tokens are never used);
    those already there are kept."""
    with SqlDatabase(url).write() as uow:
        for name in MEMBERS:
            if uow.principals.by_name(name) is not None:
                continue
            digest = hashlib.sha256(f"test-member-{name}".encode()).hexdigest()
            uow.principals.add(Principal(name=name, role="member", token_hash=digest))
        uow.commit()

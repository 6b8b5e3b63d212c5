"""Custom workflows: extra states an admin declares in the path (the seed's phase 4).

With none applied, a task follows the built-in lifecycle (`lifecycle.BUILTIN`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mpo.core.lifecycle import BUILTIN, Lifecycle

if TYPE_CHECKING:
    from mpo.core.ports import UnitOfWork


def lifecycle_of(uow: UnitOfWork) -> Lifecycle:
    """The lifecycle in force in this unit of work's database."""
    del uow
    return BUILTIN

"""Filter values that can never match are refused (a typo would otherwise select nothing):
statuses of the lifecycle in force, configured marketplaces, priorities, categories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mpo.core.domain.lifecycle import BUILTIN
from mpo.core.domain.validation import Rules, one_of
from mpo.core.domain.vocabulary import Category, Priority, values


class Filters(Protocol):
    """Anything that filters tasks by the enumerated fields (a query or a selection)."""

    @property
    def marketplaces(self) -> tuple[str, ...]: ...
    @property
    def priorities(self) -> tuple[str, ...]: ...
    @property
    def categories(self) -> tuple[str, ...]: ...


def check(given: Filters, rules: Rules, statuses: Sequence[str] = (),
            known: Sequence[str] = BUILTIN.statuses) -> None:
    """Refuse filter values that can never match (a typo would otherwise select nothing);
    `known`: the statuses of the lifecycle in force (`workflow.known_statuses`)."""
    for field_name, chosen, allowed in (
        ("status", statuses, list(known)),
        ("marketplace", given.marketplaces, list(rules.marketplaces)),
        ("priority", given.priorities, values(Priority)),
        ("category", given.categories, values(Category)),
    ):
        for value in chosen:
            one_of(field_name, value, allowed)

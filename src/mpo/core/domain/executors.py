"""Who may execute what: the `executors` rules, declared as routing is (docs/claim.md).

A rule names principals and/or roles (agents included) and, optionally, the tasks it
covers by marketplace, category and tags (empty: any). A principal may claim a task when a
rule names it (or its role) and matches the task. Without rules, members and admins may
claim any task, as they may `mpo start` one today. The role table still bounds it
(viewers never execute) and an agent stays in its own marketplace.

`ClaimQuery` is what one claim asks the store for: the claimer's own filters, the covers of
the rules that name it, and the order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mpo.core.domain.errors import ConfigError
from mpo.core.domain.routing_rules import strings, tables
from mpo.core.domain.vocabulary import NAME_RE, Role

RULE_KEYS = ("name", "principals", "roles", "marketplace", "category", "tags")


@dataclass(frozen=True)
class Cover:
    """The tasks one rule covers (each empty tuple: any)."""

    marketplaces: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExecutorRule:
    """One `executors` rule: who, and which tasks."""

    name: str
    principals: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    cover: Cover = Cover()

    def names(self, name: str, role: str) -> bool:
        """Whether the rule names this principal, by name or by role."""
        return name in self.principals or role in self.roles


#: Without rules: people execute, as they start tasks today.
DEFAULT_EXECUTORS: tuple[ExecutorRule, ...] = (
    ExecutorRule("people", roles=(Role.MEMBER.value, Role.ADMIN.value)),)


class Order(StrEnum):
    """Which claimable task a claim takes first."""

    OLDEST = "oldest"  # created first
    PRIORITY = "priority"  # high before medium before low, then oldest


@dataclass(frozen=True)
class ClaimQuery:
    """One claim's selection: approved, unassigned, matching the claimer's filters and one
    of `covers`, in `order`."""

    covers: tuple[Cover, ...]
    marketplaces: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    order: Order = Order.OLDEST


def covers(rules: Sequence[ExecutorRule], name: str, role: str) -> tuple[Cover, ...]:
    """What the rules naming the principal cover (none: it may execute nothing)."""
    return tuple(rule.cover for rule in rules if rule.names(name, role))


def parse_executors(key: str, value: Any) -> tuple[ExecutorRule, ...]:
    """The rules as the config holds them (a list of tables, or JSON text); none given:
    `DEFAULT_EXECUTORS`."""
    rules: list[ExecutorRule] = []
    for index, (where, raw) in enumerate(tables(key, value, RULE_KEYS)):
        principals = strings(f"{where}.principals", raw.get("principals", []))
        roles = strings(f"{where}.roles", raw.get("roles", []))
        if not principals and not roles:
            raise ConfigError(f"{where}: name principals or roles (or both)")
        for name in principals:
            if not NAME_RE.match(name):
                raise ConfigError(f"{where}.principals: {name!r} is not a valid name")
        allowed = [r.value for r in Role if r is not Role.VIEWER]
        for role in roles:
            if role not in allowed:
                raise ConfigError(f"{where}.roles: {role!r} is not one of {', '.join(allowed)}")
        rules.append(ExecutorRule(
            name=str(raw.get("name") or f"executors-{index + 1}"), principals=principals,
            roles=roles, cover=Cover(
                marketplaces=strings(f"{where}.marketplace", raw.get("marketplace", [])),
                categories=strings(f"{where}.category", raw.get("category", [])),
                tags=strings(f"{where}.tags", raw.get("tags", [])))))
    return tuple(rules) or DEFAULT_EXECUTORS

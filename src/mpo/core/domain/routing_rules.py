"""Routing rules and teams as the config file holds them, checked when they are written.

A rule matches approved tasks by marketplace, category, tags or listing (empty: any) and
names a pool (people, or a team from `teams`) and a strategy. Pure data, no database, so
the config layer can check a rule before it is saved.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mpo.core.domain.errors import ConfigError
from mpo.core.domain.vocabulary import NAME_RE


class Strategy(StrEnum):
    """How a rule picks one person of its pool."""

    ROUND_ROBIN = "round-robin"
    LEAST_LOADED = "least-loaded"
    SPECIALIST = "specialist"


#: The keys a rule may have; `match` keys select tasks, the rest say who and how.
MATCH_KEYS = ("marketplace", "category", "tags", "listing")
RULE_KEYS = ("name", *MATCH_KEYS, "team", "assignees", "strategy")


@dataclass(frozen=True)
class Rule:
    """One routing rule, its pool resolved to people."""

    name: str
    pool: tuple[str, ...]
    strategy: Strategy
    team: str | None = None
    marketplaces: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()

    def matches(self, marketplace: str, category: str, tags: Sequence[str],
                listing: str | None) -> bool:
        """Whether a task with these values falls under this rule (every given key holds)."""
        return ((not self.marketplaces or marketplace in self.marketplaces)
                and (not self.categories or category in self.categories)
                and (not self.tags or bool(set(self.tags) & set(tags)))
                and (not self.listings or listing in self.listings))


def _loaded(key: str, value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{key}: not valid JSON ({exc.msg})") from None
    return value


def tables(key: str, value: Any, keys: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """A list of rule tables as the config holds it (a list of tables, one table, or JSON
    text), each with where it stands (`key[i]`) and checked for unknown keys; shared by
    routing rules and executors rules."""
    value = _loaded(key, value)
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{key}: must be a list of rules (tables)")
    found: list[tuple[str, dict[str, Any]]] = []
    for index, raw in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: must be a table")
        unknown = sorted(set(raw) - set(keys))
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}; keys: {', '.join(keys)}")
        found.append((where, raw))
    return found


def strings(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: must be a list of non-empty strings")
    return tuple(value)


def parse_teams(key: str, value: Any) -> dict[str, tuple[str, ...]]:
    """`{"Ads": ["ana", "bea"], ...}`: every team has at least one person."""
    value = _loaded(key, value)
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: must be a table of team name -> list of people")
    teams: dict[str, tuple[str, ...]] = {}
    for name, people in value.items():
        members = strings(f"{key}.{name}", people)
        if not members:
            raise ConfigError(f"{key}.{name}: a team needs at least one person")
        for person in members:
            if not NAME_RE.match(person):
                raise ConfigError(f"{key}.{name}: {person!r} is not a valid name")
        teams[str(name)] = members
    return teams


def parse_rules(key: str, value: Any, teams: Mapping[str, Sequence[str]] | None = None
                ) -> tuple[Rule, ...]:
    """The rules, in order (the first that matches a task wins). With `teams`, every team
    named must exist and every person named must belong to a team; with none (an empty
    table), a rule's `team` names an mpo team, whose members routing reads from the
    database (`Rule.pool` left empty)."""
    rules: list[Rule] = []
    for index, (where, raw) in enumerate(tables(key, value, RULE_KEYS)):
        name = raw.get("name") or f"rule-{index + 1}"
        where = f"{where} ({name})"
        strategy_name = raw.get("strategy", Strategy.ROUND_ROBIN.value)
        if strategy_name not in [s.value for s in Strategy]:
            raise ConfigError(f"{where}: strategy {strategy_name!r} is not one of "
                              f"{', '.join(s.value for s in Strategy)}")
        team = raw.get("team")
        people = strings(f"{where}.assignees", raw.get("assignees", []))
        if (team is None) == (not people):
            raise ConfigError(f"{where}: give a team or a non-empty list of assignees "
                              "(one of them, not both)")
        if teams is not None:
            roster = sorted({p for members in teams.values() for p in members})
            if team is not None and not teams:
                pass  # no `teams` pools: an mpo team (`mpo team add`), read when routing
            elif team is not None:
                if team not in teams:
                    raise ConfigError(f"{where}: unknown team {team!r}; teams: "
                                      f"{', '.join(teams) or 'none (set `teams` first)'}")
                people = tuple(teams[team])
            for person in people:
                if person not in roster:
                    raise ConfigError(f"{where}: unknown assignee {person!r}; people in "
                                      f"teams: {', '.join(roster) or 'none (set `teams` first)'}")
        rules.append(Rule(
            name=str(name), pool=people, strategy=Strategy(strategy_name), team=team,
            marketplaces=strings(f"{where}.marketplace", raw.get("marketplace", [])),
            categories=strings(f"{where}.category", raw.get("category", [])),
            tags=strings(f"{where}.tags", raw.get("tags", [])),
            listings=strings(f"{where}.listing", raw.get("listing", [])),
        ))
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ConfigError(f"{key}: rule names must be distinct")
    return tuple(rules)


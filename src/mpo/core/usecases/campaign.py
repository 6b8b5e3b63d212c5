"""Campaigns: one piece of work fanned out as one task per marketplace, each created in the
name of that marketplace's agent, in one transaction (docs/campaign.md).

A campaign is its tasks: they carry its name in `task.campaign` (and a `campaign:NAME`
tag), and every figure of `campaign show` and `campaign list` is summed from them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mpo.core.domain import permissions, validation
from mpo.core.domain.errors import NotFound, UsageError, ValidationError
from mpo.core.domain.permissions import Actor, Role, Verb
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.vocabulary import Status, agent_name

if TYPE_CHECKING:
    from mpo.core.domain.validation import Rules
    from mpo.core.ports import Database
    from mpo.core.tables.models import Task

NAME_MAX = 40
TAG_PREFIX = "campaign:"


def campaign_name(value: object) -> str:
    """A campaign name: like a principal name, at most 40 characters."""
    name = validation.name("campaign", value)
    if len(name) > NAME_MAX:
        raise ValidationError("campaign", f"must be at most {NAME_MAX} characters")
    return name


@dataclass(frozen=True)
class Rollup:
    """A campaign's tasks per status, and their hours estimated and spent."""

    name: str
    statuses: Mapping[str, int]
    estimated_hours: float
    actual_hours: float

    @property
    def tasks(self) -> int:
        """How many tasks the campaign has."""
        return sum(self.statuses.values())

    @property
    def progress(self) -> float | None:
        """The completed share of the tasks not rejected; None while there are none."""
        live = self.tasks - self.statuses.get(Status.REJECTED.value, 0)
        return self.statuses.get(Status.COMPLETED.value, 0) / live if live else None


def _rollups(rows: Sequence[tuple[str, str, int, float, float]]) -> list[Rollup]:
    grouped: dict[str, tuple[dict[str, int], float, float]] = {}
    for name, status, n, estimated, actual in rows:
        counts, est, act = grouped.get(name, ({}, 0.0, 0.0))
        counts[status] = n
        grouped[name] = (counts, est + estimated, act + actual)
    return [Rollup(name, counts, est, act) for name, (counts, est, act) in grouped.items()]


def create_campaign(
    db: Database,
    actor: Actor,
    name: str,
    marketplaces: Sequence[str],
    fields: Mapping[str, Any],
    rules: Rules,
    *,
    template: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> list[Task]:
    """One task per marketplace, created by `marketplace-<name>`, all or none; the task
    fields come from `fields`, over those of `template` when one is named (whose author
    then counts as the tasks' proposer). Master and admins only (docs/campaign.md)."""
    from mpo.core.domain.clock import utcnow
    from mpo.core.usecases.create import Item, create_tasks
    from mpo.core.usecases.identity import refusals_recorded

    with refusals_recorded(db, actor, Verb.CAMPAIGN):
        permissions.require(actor, Verb.CAMPAIGN)
        name = campaign_name(name)
        chosen = list(dict.fromkeys(marketplaces))
        if not chosen:
            raise UsageError("campaign create: give --marketplaces, e.g. amazon,shopee")
        for key in PER_MARKETPLACE:
            if key in fields:
                raise UsageError(f"campaign create: {key} is set per marketplace; leave it out")
        author = None
        if template is not None:
            found, author = _template_fields(db, template)
            fields = found | dict(fields)
        items: list[Item] = []
        for marketplace in chosen:
            validation.one_of("marketplaces", marketplace, list(rules.marketplaces))
            tags = [*(fields.get("tags") or []), f"{TAG_PREFIX}{name}"]
            items.append((marketplace, dict(fields) | {
                "marketplace": marketplace, "tags": tags, "created_by": agent_name(marketplace)}))
        with db.read() as uow:
            known = set(uow.principals.proposers())
        missing = sorted({agent_name(m) for m in chosen} - known)
        if missing:
            raise ValidationError(
                "marketplaces", f"no active agent {', '.join(missing)}: add each with "
                "`mpo principal add NAME --role agent --marketplace MARKETPLACE`")
        result = create_tasks(db, actor, items, rules, clock=clock or utcnow, campaign=name,
                              authored_by=author)
        return [c.task for c in result.tasks]


#: Fields a campaign sets for each marketplace itself.
PER_MARKETPLACE = ("marketplace", "created_by", "idempotency_key")


def _template_fields(db: Database, name: str) -> tuple[dict[str, Any], str]:
    """A template's task fields, less those a campaign sets per marketplace, and its
    author."""
    with db.read() as uow:
        template = uow.templates.get(name)
    if template is None:
        raise NotFound(f"no template named {name!r}; see `mpo template list`")
    fields = {k: v for k, v in template.fields.items() if k not in PER_MARKETPLACE}
    return fields, template.created_by


def _scope(actor: Actor) -> str | None:
    return actor.marketplace if actor.role is Role.AGENT else None


def show_campaign(db: Database, actor: Actor, name: str) -> tuple[Rollup, list[Task]]:
    """A campaign's roll-up and its tasks, oldest first."""
    from mpo.core.usecases.identity import refusals_recorded

    with refusals_recorded(db, actor, Verb.LIST):
        permissions.require(actor, Verb.LIST)
        name = campaign_name(name)
        query = permissions.scope(actor, TaskQuery(campaigns=(name,), newest_first=False))
        with db.read() as uow:
            found = _rollups(uow.history.campaigns(name, _scope(actor)))
            if not found:
                raise NotFound(f"no campaign named {name}")
            return found[0], uow.tasks.find(query)


def list_campaigns(db: Database, actor: Actor) -> list[Rollup]:
    """Every campaign's roll-up, by name."""
    from mpo.core.usecases.identity import refusals_recorded

    with refusals_recorded(db, actor, Verb.LIST):
        permissions.require(actor, Verb.LIST)
        with db.read() as uow:
            return _rollups(uow.history.campaigns(None, _scope(actor)))

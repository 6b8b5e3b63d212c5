"""Templates for recurring work, and `mpo tick`, which turns due periods into tasks.

A template holds the fields of the task it makes and, optionally, a cron expression read
in the configured time zone. `tick` creates one task per template and period that has come
due, at most `catch_up` periods back; the idempotency key `template:NAME:PERIOD` makes a
period's task exist exactly once, whichever host ticks, however often it retries.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mpo.core.domain import permissions, validation
from mpo.core.domain.clock import Clock, utcnow
from mpo.core.domain.errors import Conflict, NotFound, ValidationError
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.results import CreateResult
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import SourceType
from mpo.core.ports import Database
from mpo.core.tables.models import TaskTemplate
from mpo.core.usecases.create import Item, create_tasks
from mpo.core.usecases.identity import refusals_recorded

KEY_PREFIX = "template"


def check_cron(expression: str, now: datetime | None = None) -> str:
    """A five-field cron expression croniter accepts, and that fires: one that never does
    ('0 0 31 2 *', February 31st) is refused here rather than failing every tick."""
    from croniter import croniter

    text = expression.strip()
    if not croniter.is_valid(text) or len(text.split()) != 5:
        raise ValidationError("every", f"{expression!r} is not a cron expression such as "
                                       "'0 9 * * 1' (minute hour day month weekday)")
    try:
        croniter(text, now or utcnow()).get_next(datetime)
    except Exception:  # croniter: CroniterBadDateError, after searching years ahead
        raise ValidationError("every", f"{expression!r} never fires (no such date); "
                                       "check the day and month fields") from None
    return text


def due_periods(template: TaskTemplate, at: datetime, zone: str, catch_up: int
                ) -> list[datetime]:
    """The periods of a template that have come due by `at`, oldest first: at most
    `catch_up` of them, none before the template starts."""
    from croniter import croniter

    if template.every is None or catch_up <= 0:
        return []
    # +1 s: a tick exactly on a boundary counts that boundary as due.
    walker = croniter(template.every, (at + timedelta(seconds=1)).astimezone(ZoneInfo(zone)))
    periods: list[datetime] = []
    while len(periods) < catch_up:
        period: datetime = walker.get_prev(datetime)
        if period < template.starts_at:
            break
        periods.append(period)
    return list(reversed(periods))


def _occurrence(template: TaskTemplate, period: datetime | None, zone: str,
                source_type: SourceType) -> dict[str, Any]:
    """The task request a template makes for a period (None: a one-off run)."""
    data = dict(template.fields)
    data["source_type"] = source_type.value
    if period is not None:
        local = period.astimezone(ZoneInfo(zone))
        data["due_date"] = validation.due_date(data.get("due_date"), zone, today=local.date())
        data["idempotency_key"] = f"{KEY_PREFIX}:{template.name}:{local.isoformat()}"
        data["metadata"] = {**dict(data.get("metadata") or {}), "template": template.name,
                            "period": local.isoformat()}
    return data


@dataclass(frozen=True)
class TemplateSpec:
    """A template to add: its name, the task fields, an optional schedule and start."""

    name: str
    fields: Mapping[str, Any]
    every: str | None = None
    starts_at: datetime | None = None


def add_template(db: Database, actor: Actor, spec: TemplateSpec, rules: Rules,
                 *, clock: Clock = utcnow) -> TaskTemplate:
    """Check a template's fields as a task request, then keep it."""
    with refusals_recorded(db, actor, Verb.TEMPLATE):
        permissions.require(actor, Verb.TEMPLATE)
        name = validation.name("name", spec.name)
        fields = validation.normalised(spec.fields)
        for key in ("idempotency_key", "source_type"):
            if key in fields:
                raise ValidationError(key, "is set by each run; leave it out of the template")
        validation.draft({**fields, "due_date": None}, rules)  # every rule a task must meet
        validation.due_date(fields.get("due_date"), rules.timezone)
        now = clock()
        every = None if spec.every is None else check_cron(spec.every, now)
        template = TaskTemplate(name=name, fields=fields, every=every,
                                starts_at=spec.starts_at or now, created_at=now,
                                created_by=actor.name)
        with db.write() as uow:
            if uow.templates.get(name) is not None:
                raise Conflict(f"template {name!r} already exists; remove it first")
            uow.templates.add(template)
            uow.commit()
        return template


def list_templates(db: Database, actor: Actor) -> list[TaskTemplate]:
    """Every template, by name."""
    with refusals_recorded(db, actor, Verb.TEMPLATE):
        permissions.require(actor, Verb.TEMPLATE)
        with db.read() as uow:
            return uow.templates.all()


def show_template(db: Database, actor: Actor, name: str) -> TaskTemplate:
    """One template."""
    with refusals_recorded(db, actor, Verb.TEMPLATE):
        permissions.require(actor, Verb.TEMPLATE)
        with db.read() as uow:
            return _named(uow.templates.get(name), name)


def remove_template(db: Database, actor: Actor, name: str) -> None:
    """Delete a template; the tasks it made stay."""
    with refusals_recorded(db, actor, Verb.TEMPLATE):
        permissions.require(actor, Verb.TEMPLATE)
        with db.write() as uow:
            if not uow.templates.remove(name):
                raise NotFound(f"no template named {name!r}")
            uow.commit()


def _named(template: TaskTemplate | None, name: str) -> TaskTemplate:
    if template is None:
        raise NotFound(f"no template named {name!r}; see `mpo template list`")
    return template


def run_template(db: Database, actor: Actor, name: str, rules: Rules) -> CreateResult:
    """Make one task from a template now (a one-off, source_type manual)."""
    with refusals_recorded(db, actor, Verb.TEMPLATE):
        permissions.require(actor, Verb.TEMPLATE)
        with db.read() as uow:
            template = _named(uow.templates.get(name), name)
        data = _occurrence(template, None, rules.timezone, SourceType.MANUAL)
        data["due_date"] = validation.due_date(data.get("due_date"), rules.timezone)
        return create_tasks(db, actor, [(name, data)], rules, authored_by=template.created_by)


@dataclass(frozen=True)
class Ticked:
    """What a tick made, and the templates that failed as a whole (name, why)."""

    result: CreateResult
    failed: list[tuple[str, str]]


def _tick_one(db: Database, actor: Actor, template: TaskTemplate, rules: Rules,
              at: datetime, catch_up: int) -> CreateResult | None:
    items: list[Item] = [
        (f"{template.name} {period.isoformat()}",
         _occurrence(template, period, rules.timezone, SourceType.SCHEDULED))
        for period in due_periods(template, at, rules.timezone, catch_up)]
    if not items:
        return None
    # An item gone wrong (the template edited so a period's task no longer matches) is
    # reported and the rest are made. Each template's tasks carry its author.
    return create_tasks(db, actor, items, rules, skip_invalid=True,
                        authored_by=template.created_by)


def tick(db: Database, actor: Actor, rules: Rules, *, catch_up: int,
         at: datetime | None = None) -> Ticked:
    """Create every scheduled occurrence due by `at` (default now) that does not exist yet.

    A template that fails as a whole (a schedule stored before schedules were checked, a
    rate limit, a database refusal) is reported in `failed` and the others still tick:
    one bad template never stops every tick.
    """
    with refusals_recorded(db, actor, Verb.TICK):
        permissions.require(actor, Verb.TICK)
        at = at or utcnow()
        with db.read() as uow:
            templates = uow.templates.all()
        made: list[CreateResult] = []
        failed: list[tuple[str, str]] = []
        for template in templates:
            try:
                done = _tick_one(db, actor, template, rules, at, catch_up)
            except Exception as exc:
                reason = str(getattr(exc, "message", "") or exc).strip().splitlines()
                failed.append((template.name, f"{type(exc).__name__}: "
                                              f"{(reason or [''])[0]}".rstrip(": ")))
                continue
            if done is not None:
                made.append(done)
        if not made:
            return Ticked(CreateResult(uuid.uuid4(), []), failed)
        return Ticked(CreateResult(made[0].batch_id, [c for r in made for c in r.tasks],
                                   [p for r in made for p in r.skipped]), failed)

"""JSON Schema fragments for tool inputs, read from the core: the configured marketplaces
and reason codes, the vocabulary's enums and the validation limits. Nothing is typed twice:
a limit changed in `core/domain/validation.py` changes the schema an agent sees."""

from __future__ import annotations

from typing import Any

from mpo.core.domain import validation as v
from mpo.core.domain.lifecycle import Param
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import NAME_RE, Category, Priority, SourceType, values

Schema = dict[str, Any]


def _help(schema: Schema, help: str) -> Schema:
    return schema | {"description": help} if help else schema


def text(max_len: int, help: str, *, required: bool = False) -> Schema:
    """Free text of at most `max_len` characters."""
    return _help({"type": "string", "maxLength": max_len}, help) | (
        {"minLength": 1} if required else {})


def name(help: str) -> Schema:
    """A principal's name (an agent, an assignee)."""
    return _help({"type": "string", "minLength": 1, "maxLength": v.NAME_MAX,
                  "pattern": NAME_RE.pattern}, help)


def hours(help: str) -> Schema:
    """A number of hours, as `validation.hours` accepts it."""
    return {"type": "number", "exclusiveMinimum": 0, "maximum": v.HOURS_MAX,
            "description": help}


def one_of(allowed: list[str] | tuple[str, ...], help: str) -> Schema:
    """One of the allowed values."""
    return _help({"type": "string", "enum": list(allowed)}, help)


def many(item: Schema, help: str) -> Schema:
    """Several values (OR-ed, as a repeated CLI option)."""
    return {"type": "array", "items": item, "description": help}


def flag(help: str) -> Schema:
    """A boolean, false unless given."""
    return {"type": "boolean", "default": False, "description": help}


def param(spec_param: Param, rules: Rules) -> Schema:
    """A lifecycle action's value, as `action_values.transition_params` checks it."""
    if spec_param.kind == "code":
        return one_of(getattr(rules, spec_param.codes or ""), spec_param.help)
    if spec_param.kind == "name":
        return name(spec_param.help)
    if spec_param.kind == "hours":
        return hours(spec_param.help)
    return text(v.REASON_MAX, spec_param.help)


def marketplaces(rules: Rules, help: str) -> Schema:
    """One of the configured marketplaces."""
    return one_of(rules.marketplaces, help)


def categories(help: str) -> Schema:
    """One of the task categories."""
    return one_of(values(Category), help)


def priorities(help: str) -> Schema:
    """One of the priorities."""
    return one_of(values(Priority), help)


def selection(rules: Rules) -> Schema:
    """Which tasks a batch verb acts on: ids, or filters with `all` (the CLI's flags)."""
    return {
        "ids": many({"type": "string", "minLength": 1},
                    "Task ids or unique prefixes (or give filters instead)."),
        "marketplace": many(marketplaces(rules, ""), "Filter: marketplaces."),
        "priority": many(priorities(""), "Filter: priorities."),
        "category": many(categories(""), "Filter: categories."),
        "created_by": many(name(""), "Filter: creators."),
        "all": flag("With no other filter: every task the verb can act on."),
        "dry_run": flag("Say what would change; change nothing."),
        "skip_invalid": flag("Apply to the valid tasks, report the rest (default: all or "
                             "nothing)."),
        "idempotency_key": text(v.KEY_MAX, "Retry-safe: the same key and request returns the "
                                "first result (even after the tasks moved on); the same key "
                                "with another request is a CONFLICT (exit 5)."),
    }


def draft(rules: Rules) -> Schema:
    """A task to create, as `validation.draft` checks it."""
    return {
        "marketplace": marketplaces(rules, "Marketplace (an agent's own by default)."),
        "title": text(v.TITLE_MAX, "What to do.", required=True),
        "description": text(v.DESCRIPTION_MAX, "Details."),
        "category": categories("Kind of work."),
        "priority": priorities("Default: medium."),
        "estimated_hours": hours("Estimated effort in hours."),
        "created_by": name("Agent the task is created for (master and admin only)."),
        "tags": {"type": "array", "maxItems": v.TAGS_MAX, "uniqueItems": True,
                 "items": text(v.TAG_MAX, "", required=True), "description": "Tags."},
        "metadata": {"type": "object", "description": "A JSON object of at most "
                     f"{v.METADATA_MAX_BYTES} bytes."},
        "idempotency_key": text(v.KEY_MAX, "Retry-safe: the same key and content returns "
                                "the existing task; other content is a conflict (exit 5).",
                                required=True),
        "due_date": {"type": "string", "description": "ISO date (2026-12-09) or +Nd/+Nw."},
        "listing_id": text(v.NAME_MAX, "The marketplace listing."),
        "source_type": one_of(values(SourceType), "Default: ai_generated for agents and "
                              "the master, else manual."),
        "plan_id": text(v.NAME_MAX, "Groups the tasks of one agent run."),
    }


def obj(properties: Schema, required: tuple[str, ...] = ()) -> Schema:
    """An input schema: these properties, no others."""
    return {"type": "object", "properties": properties, "additionalProperties": False} | (
        {"required": list(required)} if required else {})

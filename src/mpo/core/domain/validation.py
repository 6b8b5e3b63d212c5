"""The input rules of a task draft and the checks every value goes through (text, names,
hours, tags, metadata, due dates); a lifecycle action's values are checked in
`action_values`, filters in `filter_values`, NDJSON lines read in `ndjson`, all with these.

SQLModel table models do not validate, so nothing reaches the store without passing here.
Messages name the field and the allowed values.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mpo.core.domain import wellformed
from mpo.core.domain.errors import ValidationError
from mpo.core.domain.executors import DEFAULT_EXECUTORS, ExecutorRule
from mpo.core.domain.routing_rules import Rule
from mpo.core.domain.vocabulary import (
    DEFAULT_CANCEL_CODES,
    DEFAULT_MARKETPLACES,
    DEFAULT_REJECTION_CODES,
    NAME_RE,
    Category,
    Priority,
    SourceType,
    agent_name,
    values,
)

TITLE_MAX = 500
DESCRIPTION_MAX = 5_000
HOURS_MAX = 1_000.0
TAGS_MAX = 20
TAG_MAX = 50
METADATA_MAX_BYTES = 16 * 1024
#: Metadata as it is measured: compact UTF-8 JSON (one encoder, not one per task).
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
NAME_MAX = 100
KEY_MAX = 200
REASON_MAX = 1_000

#: The keys a task draft (a `create` call or an NDJSON line) may have.
DRAFT_KEYS: tuple[str, ...] = (
    "marketplace",
    "title",
    "description",
    "category",
    "priority",
    "estimated_hours",
    "created_by",
    "tags",
    "metadata",
    "idempotency_key",
    "due_date",
    "listing_id",
    "source_type",
    "plan_id",
)
_DRAFT_KEY_SET = frozenset(DRAFT_KEYS)
#: What an idempotent retry must repeat exactly: every draft key but the key itself.
CONTENT_KEYS: tuple[str, ...] = tuple(k for k in DRAFT_KEYS if k != "idempotency_key")
#: The seed's camelCase spellings, accepted from agents written against it.
_ALIASES = {"estimatedHours": "estimated_hours", "createdBy": "created_by",
            "idempotencyKey": "idempotency_key", "dueDate": "due_date",
            "listingId": "listing_id", "sourceType": "source_type", "planId": "plan_id"}
#: A plugin's check of a task about to be created: a refusal message, or None.
Validator = Callable[[dict[str, Any]], "str | None"]
_DUE = re.compile(r"^\+(\d+)([dw])$")


@dataclass(frozen=True)
class Rules:
    """The configurable parts of the rulebook, built once per door by the bootstrap:
    which marketplaces and codes exist, and what follows a verb in its own transaction
    (routing on approval, plugin validators on create)."""

    marketplaces: tuple[str, ...] = DEFAULT_MARKETPLACES
    rejection_codes: tuple[str, ...] = DEFAULT_REJECTION_CODES
    cancel_codes: tuple[str, ...] = DEFAULT_CANCEL_CODES
    #: The zone whose calendar a relative due date (`+7d`) counts in.
    timezone: str = "UTC"
    #: With `auto_assign` on, the routing rules an approval is routed by (None: off).
    auto_assign: tuple[Rule, ...] | None = None
    #: Plugins' `mpo_validate_create`: a message refuses the task about to be created.
    validator: Validator | None = None
    #: Who may claim which tasks (`mpo claim`).
    executors: tuple[ExecutorRule, ...] = DEFAULT_EXECUTORS


@dataclass(frozen=True)
class TaskDraft:
    """A validated, normalised request to create one task."""

    marketplace: str
    title: str
    description: str
    category: str
    priority: str
    estimated_hours: float
    created_by: str
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    due_date: date | None = None
    listing_id: str | None = None
    source_type: str = SourceType.MANUAL.value
    plan_id: str | None = None

    def content(self) -> dict[str, Any]:
        """What an idempotent retry must repeat exactly (everything but the key)."""
        return {
            "marketplace": self.marketplace,
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "priority": self.priority,
            "estimated_hours": self.estimated_hours,
            "created_by": self.created_by,
            "tags": list(self.tags),
            "metadata": dict(self.metadata),
            "due_date": self.due_date,
            "listing_id": self.listing_id,
            "source_type": self.source_type,
            "plan_id": self.plan_id,
        }


def one_of(field_name: str, value: object, allowed: Sequence[str]) -> str:
    """`value` if it is one of `allowed`, else an error listing them, and the close ones
    (`--marketplace amazom`: did you mean amazon?), as `assign --to` does."""
    if not isinstance(value, str) or value not in allowed:
        import difflib

        close = difflib.get_close_matches(value, allowed, n=2) if isinstance(value, str) else []
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise ValidationError(
            field_name, f"{value!r} is not one of {', '.join(allowed)}{hint}"
        )
    return value


def text(field_name: str, value: object, *, max_len: int, required: bool = False) -> str:
    """A string of at most `max_len` characters (and at least one when `required`)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(field_name, f"must be text, not {type(value).__name__}")
    value = wellformed.text(field_name, value).strip()
    if required and not value:
        raise ValidationError(field_name, f"must be 1-{max_len} characters, got none")
    if len(value) > max_len:
        raise ValidationError(
            field_name, f"must be at most {max_len} characters, got {len(value)}"
        )
    return value


def hours(field_name: str, value: object) -> float:
    """A number of hours: more than 0 and at most 1,000."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValidationError(field_name, f"must be a number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field_name, f"must be a number, got {value!r}")
    number = float(value) if abs(value) <= wellformed.JSON_INT_MAX else math.inf
    if not math.isfinite(number) or number <= 0 or number > HOURS_MAX:
        raise ValidationError(field_name, f"must be > 0 and <= {HOURS_MAX:g}, got {value!r}")
    return number


def name(field_name: str, value: object) -> str:
    """A principal, agent or assignee name: letters, digits and . _ @ + -."""
    result = text(field_name, value, max_len=NAME_MAX, required=True)
    if not NAME_RE.match(result):
        raise ValidationError(
            field_name,
            f"{result!r} must start with a letter or digit and use only letters, digits, . _ @ + -",
        )
    return result


def tags(value: object) -> tuple[str, ...]:
    """At most 20 distinct tags of 1-50 characters, order kept."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValidationError("tags", "must be a list of strings")
    result: list[str] = []
    for item in value:
        tag = text("tags", item, max_len=TAG_MAX, required=True)
        if tag not in result:
            result.append(tag)
    if len(result) > TAGS_MAX:
        raise ValidationError("tags", f"at most {TAGS_MAX} tags, got {len(result)}")
    return tuple(result)


def metadata(value: object) -> dict[str, Any]:
    """A JSON object of at most 16 KiB once encoded."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = wellformed.loads("metadata", value)
    if not isinstance(value, dict):
        raise ValidationError("metadata", "must be a JSON object")
    wellformed.checked("metadata", value)
    try:
        size = len(_COMPACT.encode(value).encode())
    except (TypeError, ValueError) as exc:
        raise ValidationError("metadata", f"is not JSON-serialisable ({exc})") from None
    if size > METADATA_MAX_BYTES:
        raise ValidationError(
            "metadata", f"must be at most {METADATA_MAX_BYTES} bytes as JSON, got {size}"
        )
    return value


def due_date(value: object, zone: str = "UTC", today: date | None = None) -> date | None:
    """A due date: an ISO date (2026-12-09), or days/weeks from today in `zone` (+7d, +2w)."""
    if value is None or value == "":
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValidationError("due_date", f"must be an ISO date or +Nd/+Nw, got {value!r}")
    raw = value.strip().lower()
    match = _DUE.match(raw)
    if match:
        if today is None:
            today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
        unit = "days" if match.group(2) == "d" else "weeks"
        try:
            return today + timedelta(**{unit: int(match.group(1))})
        except OverflowError:
            raise ValidationError("due_date", f"{value!r} is past {date.max}") from None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            "due_date", f"{value!r} is not an ISO date (2026-12-09) or +Nd/+Nw (+7d)"
        ) from None


def optional_text(field_name: str, value: object, max_len: int) -> str | None:
    """Text of at most `max_len` characters, or None when empty."""
    return text(field_name, value, max_len=max_len) or None


def normalised(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A task request with the seed's camelCase keys spelled the snake_case way."""
    return {_ALIASES.get(k, k): v for k, v in raw.items()}


def draft(raw: Mapping[str, Any], rules: Rules) -> TaskDraft:
    """Validate one task request; unknown keys are refused, camelCase seed keys accepted."""
    data = normalised(raw)
    unknown = sorted(set(data).difference(_DRAFT_KEY_SET))
    if unknown:
        raise ValidationError(
            unknown[0], f"unknown field; allowed fields: {', '.join(DRAFT_KEYS)}"
        )
    if data.get("marketplace") is None:
        raise ValidationError("marketplace", f"is required; one of {', '.join(rules.marketplaces)}")
    marketplace = one_of("marketplace", data["marketplace"], rules.marketplaces)
    if data.get("category") is None:
        raise ValidationError("category", f"is required; one of {', '.join(values(Category))}")
    if data.get("estimated_hours") is None:
        raise ValidationError("estimated_hours", f"is required; a number > 0 and <= {HOURS_MAX:g}")
    key = data.get("idempotency_key")
    return TaskDraft(
        marketplace=marketplace,
        title=text("title", data.get("title"), max_len=TITLE_MAX, required=True),
        description=text("description", data.get("description"), max_len=DESCRIPTION_MAX),
        category=one_of("category", data["category"], values(Category)),
        priority=one_of("priority", data.get("priority") or Priority.MEDIUM.value,
                        values(Priority)),
        estimated_hours=hours("estimated_hours", data["estimated_hours"]),
        created_by=name("created_by", data.get("created_by") or agent_name(marketplace)),
        tags=tags(data.get("tags")),
        metadata=metadata(data.get("metadata")),
        idempotency_key=None if key is None else text(
            "idempotency_key", key, max_len=KEY_MAX, required=True
        ),
        due_date=due_date(data.get("due_date"), rules.timezone),
        listing_id=optional_text("listing_id", data.get("listing_id"), NAME_MAX),
        source_type=one_of("source_type", data.get("source_type") or SourceType.MANUAL.value,
                           values(SourceType)),
        plan_id=optional_text("plan_id", data.get("plan_id"), NAME_MAX),
    )

"""Rows as JSON: snake_case for mpo's own API, camelCase for the seed's, and a response
class that encodes datetimes as ISO 8601 without FastAPI's slower generic encoder."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from starlette.responses import Response

from mpo.core.domain import task_fields
from mpo.core.tables.models import Task


def _default(value: Any) -> Any:
    if isinstance(value, date):  # datetimes too: a due date is a date (issue 22, 0)
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def dumps(content: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(content, default=_default, separators=(",", ":"),
                      ensure_ascii=False).encode()


class JSON(Response):
    """`application/json`, encoded by `dumps`."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def camel(key: str) -> str:
    """`estimated_hours` -> `estimatedHours`."""
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def camel_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row with camelCase keys."""
    return {camel(k): v for k, v in row.items()}


def seed_task(task: Task) -> dict[str, Any]:
    """A task as the seed's `MarketplaceTask`: camelCase, accuracy as a percentage."""
    row = camel_row(task_fields.task_row(task))
    if row["accuracy"] is not None:
        row["accuracy"] = round(row["accuracy"] * 100, 2)
    return row

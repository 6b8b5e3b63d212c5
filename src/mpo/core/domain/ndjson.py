"""NDJSON input (`mpo create --from`, `mpo import`, `POST /api/v1/tasks`): one labelled item
per line, a bad line kept as its error rather than ending the read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mpo.core.domain import wellformed
from mpo.core.domain.errors import ValidationError


def ndjson(lines: Iterable[str]) -> list[tuple[str, dict[str, Any] | ValidationError]]:
    """Parse NDJSON input into labelled items; a bad line becomes its error, not an abort."""
    items: list[tuple[str, dict[str, Any] | ValidationError]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        label = f"line {number}"
        try:
            obj = wellformed.loads("json", line)
        except ValidationError as exc:
            items.append((label, exc))
            continue
        if not isinstance(obj, dict):
            items.append((label, ValidationError("json", "each line must be a JSON object")))
            continue
        items.append((label, obj))
    return items

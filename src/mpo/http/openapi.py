"""The OpenAPI document's success responses, as the routes really answer (issue 22, finding
13): the routes return `JSON` responses, which FastAPI describes as a bare string; here each
JSON success response gets its schema, built from the same field lists the routes render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from mpo.core.domain import task_fields
from mpo.http.render import camel

_NUMBERS = {"estimated_hours", "actual_hours", "accuracy"}


def _kind(field: str) -> dict[str, Any]:
    if field in _NUMBERS:
        return {"type": ["number", "null"]}
    if field == "tags":
        return {"type": "array", "items": {"type": "string"}}
    if field in ("metadata", "payload"):
        return {"type": ["object", "null"]}
    if field == "due_date":
        return {"type": ["string", "null"], "format": "date"}
    if field.endswith("_at") or field == "at":
        return {"type": ["string", "null"], "format": "date-time"}
    return {"type": ["string", "null"]}


def _object(fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"type": "object", "properties": fields}


TASK = _object({f: _kind(f) for f in task_fields.TASK})
EVENT = _object({f: ({"type": "integer"} if f == "id" else _kind(f))
                 for f in task_fields.EVENT})
SEED_TASK = _object({camel(f): _kind(f) for f in task_fields.TASK})
_TASKS = {"type": "array", "items": TASK}
#: (method, path) -> the schema of its JSON success body; others are described as objects.
SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/tasks"): _object({"tasks": _TASKS, "total": {"type": "integer"},
                                       "next_cursor": {"type": ["string", "null"]}}),
    ("GET", "/api/v1/tasks/{task_id}"): {"allOf": [TASK, _object({
        "history": {"type": "array", "items": EVENT}})]},
    ("POST", "/api/v1/tasks"): {"oneOf": [
        {"allOf": [TASK, _object({"created": {"type": "boolean"}})]},
        _object({"batch_id": {"type": "string"}, "tasks": _TASKS,
                 "skipped": {"type": "array", "items": {"type": "object"}}})]},
    ("GET", "/api/v1/log"): {"type": "array", "items": EVENT},
    ("GET", "/api/orchestration/tasks"): _object({
        "tasks": {"type": "array", "items": SEED_TASK}, "count": {"type": "integer"},
        "offset": {"type": "integer"}, "limit": {"type": "integer"}}),
    ("POST", "/api/orchestration/tasks"): {"allOf": [SEED_TASK, _object({
        "success": {"type": "boolean"}, "task": SEED_TASK, "message": {"type": "string"}})]},
}
_STATUS = _object({"status": {"type": "string"}})
for _path in ("/healthz", "/readyz", "/api/health"):
    SCHEMAS[("GET", _path)] = _STATUS


def describe(app: FastAPI) -> None:
    """Make `app.openapi()` give every JSON success response a schema."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        built = generate()
        for path, operations in built["paths"].items():
            for method, operation in operations.items():
                for code, response in operation.get("responses", {}).items():
                    body = response.get("content", {}).get("application/json")
                    if str(code).startswith("2") and body and body.get("schema") in (
                            None, {}, {"type": "string"}):
                        body["schema"] = SCHEMAS.get((method.upper(), path),
                                                     {"type": "object"})
        app.openapi_schema = built
        return built

    app.openapi = document  # type: ignore[method-assign]

"""Resources: `mpo://task/{id}` (a task and its history, as `mpo show --json`) and
`mpo://status` (as `mpo status --json`), each read through its use case."""

from __future__ import annotations

from mcp import types
from mcp.shared.exceptions import MCPError

from mpo.core.domain import task_fields
from mpo.core.domain.errors import MpoError, NotFound
from mpo.core.domain.permissions import Verb
from mpo.mcp import errors
from mpo.mcp.caller import Caller
from mpo.mcp.report_tools import status_document
from mpo.mcp.tooling import dumps

STATUS = "mpo://status"
TASK = "mpo://task/"
JSON_TYPE = "application/json"
#: JSON-RPC's "resource not found", and its internal error for the rest.
NOT_FOUND, FAILED = -32002, -32603


def listed(caller: Caller) -> list[types.Resource]:
    """The fixed resources the caller may read."""
    if not caller.actor.may(Verb.STATUS):
        return []
    return [types.Resource(uri=STATUS, name="status", mime_type=JSON_TYPE,
                           description="Agents, the queue and alerts (mpo status --json).")]


def templates(caller: Caller) -> list[types.ResourceTemplate]:
    """The task resource, for callers who may see tasks."""
    if not caller.actor.may(Verb.SHOW):
        return []
    return [types.ResourceTemplate(
        uri_template=TASK + "{id}", name="task", mime_type=JSON_TYPE,
        description="A task (id or unique prefix) with its history (mpo show --json).")]


def read(caller: Caller, uri: str) -> str:
    """The resource's JSON text; mpo's refusal as an MCP error carrying its exit class."""
    from mpo.core.usecases.reads import show_task

    try:
        if uri == STATUS:
            document = status_document(caller)
        elif uri.startswith(TASK) and uri != TASK:
            task, events = show_task(caller.db, caller.actor, uri.removeprefix(TASK))
            document = task_fields.task_row(task) | {
                "history": [task_fields.event_row(e) for e in events]}
        else:
            raise NotFound(f"no resource {uri}; mpo has {STATUS} and {TASK}{{id}}")
    except MpoError as exc:
        raise MCPError(NOT_FOUND if isinstance(exc, NotFound) else FAILED,
                       f"error: {exc.message}", errors.document(exc.exit_code, exc.message)
                       ) from None
    return dumps(document)

"""What a tool is here: its name, who may call it, what it says, its input schema (built
from the core for the configured rules) and the one use case it calls; and the reading of
its arguments, refused the way the core refuses a bad value (naming the field)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import anyio.to_thread

from mpo.core.domain.errors import ValidationError
from mpo.core.domain.permissions import PERMISSIONS, Role, Verb
from mpo.core.domain.validation import Rules
from mpo.mcp.caller import Caller
from mpo.mcp.schemas import Schema

#: Reports progress while a tool runs: (done so far, total or None, a line of text).
Progress = Callable[[float, float | None, str], Awaitable[None]]
Document = dict[str, Any]
#: Every tool's errors, in its description.
ERRORS = ("Errors come back as tool errors (isError) whose structuredContent is "
          '{"error": CLASS, "exit_code": N, "message": LINE}, LINE being what the CLI '
          "prints: USAGE 2 bad input (names the field and the allowed values), NOT_FOUND 3, "
          "AUTH 4 (not allowed), CONFLICT 5 (the task is not in a state the verb leaves "
          "from, an idempotency key reused with other content, or a rate limit reached), "
          "DATABASE 6. Nothing is half-applied.")


_JSON = {str: "text", bool: "true or false", list: "a list", dict: "an object",
         int: "a number", float: "a number"}


def _json(value: Any) -> Any:
    if isinstance(value, date):  # datetimes too: ISO 8601, as the CLI and HTTP print them
        return value.isoformat()
    return str(value)


def dumps(document: Any) -> str:
    """A result as JSON text (times in ISO 8601, ids as strings)."""
    return json.dumps(document, default=_json, ensure_ascii=False)


class Args:
    """A call's arguments, each checked for its JSON type as it is read; unknown ones are
    refused at once (a misspelt filter must not widen a batch)."""

    def __init__(self, tool: str, given: Mapping[str, Any] | None, known: Schema) -> None:
        unknown = sorted(set(given or {}) - set(known))
        if unknown:
            raise ValidationError(unknown[0], f"{tool} takes no such argument; it takes "
                                  f"{', '.join(known) or 'none'}")
        self.values: dict[str, Any] = dict(given or {})

    def get(self, key: str, kind: type | tuple[type, ...] = str) -> Any:
        """The value of `key` (None when absent), if of the JSON type `kind`."""
        value = self.values.get(key)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if value is None or (isinstance(value, kinds) and (
                bool in kinds or not isinstance(value, bool))):
            return value
        wanted = " or ".join(dict.fromkeys(_JSON.get(k, k.__name__) for k in kinds))
        raise ValidationError(key, f"must be {wanted}, got {value!r}")

    def flag(self, key: str) -> bool:
        """A boolean argument, false when absent."""
        return bool(self.get(key, bool))

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of strings (a single string is taken as a list of one)."""
        value = self.get(key, (list, str))
        items = [value] if isinstance(value, str) else value or []
        if not all(isinstance(item, str) and item.strip() for item in items):
            raise ValidationError(key, "must be a list of non-empty strings")
        return tuple(item.strip() for item in items)


@dataclass(frozen=True)
class Tool:
    """One MCP tool over one use case."""

    name: str
    #: The roles that may call it (others do not see it listed; a call is still refused
    #: by the use case, and recorded as a refusal in the audit log).
    roles: tuple[Role, ...]
    #: How those roles are named in the description (`agent (own, from pending)`).
    who: tuple[str, ...]
    summary: str
    #: What a successful result holds and what each outcome means.
    returns: str
    properties: Callable[[Rules], Schema]
    required: tuple[str, ...]
    run: Callable[[Caller, Args, Progress], Awaitable[Document]]
    read_only: bool = False

    def description(self) -> str:
        """The summary, who may call it, what it returns and how it fails."""
        return (f"{self.summary}\n\nRoles: {', '.join(self.who)}.\n\nReturns: {self.returns}"
                f"\n\n{ERRORS}")


def roles_of(verb: Verb) -> tuple[Role, ...]:
    """The roles the permission table gives `verb`."""
    return tuple(r for r in Role if verb in PERMISSIONS[r])


def threaded(fn: Callable[[Caller, Args], Document]
             ) -> Callable[[Caller, Args, Progress], Awaitable[Document]]:
    """A use case call run in a worker thread (use cases block on the database)."""

    async def run(caller: Caller, args: Args, progress: Progress) -> Document:
        return await anyio.to_thread.run_sync(fn, caller, args)

    return run


def tool(name: str, verb: Verb, summary: str, returns: str,
         properties: Callable[[Rules], Schema], fn: Callable[[Caller, Args], Document], *,
         required: tuple[str, ...] = (), read_only: bool = False) -> Tool:
    """A tool the permission table's `verb` allows, over a blocking use case call."""
    roles = roles_of(verb)
    return Tool(name, roles, tuple(r.value for r in roles), summary, returns, properties,
                required, threaded(fn), read_only)

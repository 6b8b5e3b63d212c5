"""mpo's errors as MCP tool errors: `isError` with the line the CLI prints on stderr, and
the exit-code class and number an agent can branch on (docs/exit-codes.md)."""

from __future__ import annotations

import json
import os
from typing import Any

from mcp import types

from mpo.config import env
from mpo.core.domain.errors import ExitCode, MpoError


def document(code: ExitCode, message: str) -> dict[str, Any]:
    """`{"error": "CONFLICT", "exit_code": 5, "message": ...}`."""
    return {"error": code.name, "exit_code": int(code), "message": message}


def tool_error(exc: Exception) -> types.CallToolResult:
    """The tool error for a failure: an `MpoError` as the CLI reports it, anything else as
    the CLI's `unexpected ...` line (exit class UNEXPECTED)."""
    if isinstance(exc, MpoError):
        body = document(exc.exit_code, exc.message)
    else:
        if os.environ.get(env.DEBUG):
            raise exc
        first = next(iter(str(exc).strip().splitlines()), "")
        body = document(ExitCode.UNEXPECTED, f"unexpected {type(exc).__name__}: {first}")
    line = f"error: {body['message']}"
    return types.CallToolResult(
        content=[types.TextContent(text=line), types.TextContent(text=json.dumps(body))],
        structured_content=body, is_error=True)

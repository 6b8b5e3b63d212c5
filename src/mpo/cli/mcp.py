"""`mpo mcp`: mpo's tools for an MCP client over stdin/stdout (docs/mcp.md). The SDK is
imported only here, when the command runs, so the rest of mpo neither needs nor loads it."""

from __future__ import annotations

import contextlib
import importlib.util

import typer

from mpo.cli.context import current
from mpo.core.domain.errors import UsageError

app = typer.Typer()
#: Without the extra, `mpo mcp` stops with this (exit 2: the command cannot run as given).
MISSING_EXTRA = "mpo mcp needs the mcp extra: pip install 'mpo[mcp]'"


@app.command(rich_help_panel="Server")
def mcp() -> None:
    """Serve mpo's tools to an MCP client over stdin/stdout (docs/mcp.md).

    Acts with the credential the other commands use (MPO_TOKEN, --token-file, the keyring)
    and lists only the tools its role may call: create (idempotency_key, submit), list,
    show, submit, approve, reject, assign, start, complete, cancel, undo, wait, status,
    stats, estimate; resources mpo://task/{id} and mpo://status. Errors are tool errors
    carrying the exit code and the line the CLI prints. `mpo serve` has the same tools at
    /mcp.

    Client configuration: {"command": "mpo", "args": ["mcp"], "env": {"MPO_TOKEN": "..."}}

    Example: mpo --token-file ~/.config/mpo/agent.token mcp
    """
    if importlib.util.find_spec("mcp") is None:
        raise UsageError(MISSING_EXTRA)
    import anyio

    from mpo.mcp.caller import Caller
    from mpo.mcp.server import serve_stdio

    app_ctx = current()
    # Authenticated now: a missing or wrong credential is one line and exit 4, not a server
    # that refuses every call.
    caller = Caller(app_ctx.actor, app_ctx.database, app_ctx.rules, app_ctx.settings,
                    app_ctx.settings.limits)
    # Ctrl-C at a terminal stops it quietly: each call was one transaction, done or not.
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(serve_stdio, caller)

"""MCP clients (the SDK's own) on a real `mpo mcp` subprocess (stdio) and a real `mpo serve`
(`/mcp`, streamable HTTP), one server per database for the package; on PostgreSQL both act
as a login role in mpo_app, so row-level security and the guards apply."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.types import CallToolResult

from tests.http.conftest import RATE_LIMITS, Served, _postgres, sqlite
from tests.installed import MPO


@pytest.fixture(scope="package")
def sqlite_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One SQLite server for the package (per xdist worker)."""
    yield from sqlite(tmp_path_factory.mktemp("mcp-sqlite"))


@pytest.fixture(scope="package")
def postgres_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One PostgreSQL server, connected as a login role in mpo_app."""
    yield from _postgres(tmp_path_factory.mktemp("mcp-postgres"))


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest) -> Served:
    """The server (and its database, for `mpo mcp`) on each database."""
    found: Served = request.getfixturevalue(f"{request.param}_served")
    return found


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    """Each way an MCP client reaches mpo."""
    return str(request.param)


def environ(served: Served, who: str) -> dict[str, str]:
    """The environment of an `mpo` process acting as `who` on the served database, with
    the server's rate limits."""
    home = served.log.parent
    return {k: v for k, v in os.environ.items() if not k.startswith("MPO_")} | {
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".data"), "MPO_DATABASE_URL": served.database_url,
        "MPO_TOKEN": served.tokens[who], "MPO_RATE_LIMITS": RATE_LIMITS}


@asynccontextmanager
async def connect(served: Served, who: str, transport: str) -> AsyncIterator[Client]:
    """The SDK's client acting as `who`: over stdio on `mpo mcp`, or over HTTP on /mcp."""
    if transport == "stdio":
        params = StdioServerParameters(command=MPO, args=["mcp"], env=environ(served, who))
        async with Client(params) as client:
            yield client
        return
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {served.tokens[who]}"})
    async with http, Client(streamable_http_client(f"{served.url}/mcp",
                                                   http_client=http)) as client:
        yield client


def mpo(served: Served, who: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `mpo` acting as `who`: another process, as a person at a terminal."""
    return subprocess.run([MPO, *args], env=environ(served, who), capture_output=True,
                          text=True, timeout=120, check=False)


def document(result: CallToolResult) -> dict[str, Any]:
    """A tool result's structured content."""
    assert result.structured_content is not None, result.content
    return dict(result.structured_content)


def task_body(key: str, **more: Any) -> dict[str, Any]:
    """A create call's arguments for the amazon agent."""
    return {"title": "Rewrite GEO titles", "category": "optimization", "estimated_hours": 4,
            "idempotency_key": key, **more}



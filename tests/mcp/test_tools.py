"""The MCP door through the SDK's client, over stdio and HTTP, on SQLite and PostgreSQL:
the tools a role sees, their schemas read from the core, retry-safe create, refusals as
tool errors with the CLI's line and exit class, resources."""

from __future__ import annotations

import json
import uuid

import anyio
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult
from sqlalchemy import text

from mpo.core.domain import validation
from mpo.core.domain.lifecycle import SPECS
from mpo.core.domain.vocabulary import DEFAULT_REJECTION_CODES
from tests.http.conftest import Served
from tests.mcp.conftest import connect, document, mpo, task_body


def test_each_role_sees_the_tools_it_may_call(served: Served, transport: str) -> None:
    async def listed(who: str) -> dict[str, dict[str, object]]:
        async with connect(served, who, transport) as client:
            return {t.name: t.input_schema for t in (await client.list_tools()).tools}

    agent, admin = anyio.run(listed, "marketplace-amazon"), anyio.run(listed, "ana")
    assert {"create", "submit", "cancel", "list", "show", "wait"} <= set(agent)
    assert not {"approve", "reject", "assign", "undo", "status"} & set(agent)
    # Every action of the lifecycle's declaration is a tool, generated from it.
    assert {s.action for s in SPECS if s.http} | {"undo", "status", "stats", "estimate",
                                                 "claim"} <= set(admin)
    reject = admin["reject"]["properties"]  # type: ignore[index]
    assert reject["reason_code"]["enum"] == list(DEFAULT_REJECTION_CODES)
    assert admin["reject"]["required"] == ["reason_code"]
    title = agent["create"]["properties"]["title"]  # type: ignore[index]
    assert title["maxLength"] == validation.TITLE_MAX
    assert set(agent["create"]["properties"]) == {  # type: ignore[call-overload]
        *validation.DRAFT_KEYS, "submit"}


def test_create_twice_with_one_key_makes_one_task(served: Served, transport: str) -> None:
    key = f"mcp-{uuid.uuid4()}"

    async def twice() -> tuple[dict[str, object], dict[str, object]]:
        async with connect(served, "marketplace-amazon", transport) as client:
            first = await client.call_tool("create", task_body(key, submit=True))
            again = await client.call_tool("create", task_body(key, submit=True))
            return document(first), document(again)

    first, again = anyio.run(twice)
    assert (first["created"], again["created"]) == (True, False)
    assert first["id"] == again["id"]
    assert again["status"] == "awaiting_approval"
    found = json.loads(mpo(served, "ana", "list", "--json").stdout)
    assert [t["id"] for t in found if t["idempotency_key"] == key] == [first["id"]]


def test_a_retried_decision_with_one_key_applies_once(served: Served, transport: str) -> None:
    """Every write tool is retry-safe by key (issue 21): the same key and request returns
    the first result, even after the task moved on; another request under it conflicts."""
    key = f"mcp-approve-{uuid.uuid4()}"

    async def decide() -> tuple[str, list[CallToolResult]]:
        async with connect(served, "marketplace-amazon", transport) as agent:
            made = document(await agent.call_tool(
                "create", task_body(f"mcp-{uuid.uuid4()}", submit=True)))
        async with connect(served, "ana", transport) as admin:
            first = await admin.call_tool("approve", {"ids": [made["id"]],
                                                      "idempotency_key": key})
            again = await admin.call_tool("approve", {"ids": [made["id"]],
                                                      "idempotency_key": key})
            other = await admin.call_tool("approve", {"ids": [str(made["id"])[:8]],
                                                      "idempotency_key": key})
        return str(made["id"]), [first, again, other]

    task, (first, again, other) = anyio.run(decide)
    assert not first.is_error and not again.is_error
    assert document(again)["results"] == document(first)["results"]
    assert (other.is_error, document(other)["exit_code"]) == (True, 5)
    history = json.loads(mpo(served, "ana", "log", "--task", task, "--json").stdout)
    assert [e["action"] for e in history] == ["create", "submit", "approve"]
    assert history[0]["batch_id"] == history[1]["batch_id"]  # create --submit: one batch


def test_a_refused_verb_is_a_tool_error_with_the_clis_line(served: Served,
                                                           transport: str) -> None:
    async def refused() -> tuple[str, list[dict[str, object]], list[str]]:
        async with connect(served, "marketplace-amazon", transport) as client:
            made = document(await client.call_tool(
                "create", task_body(f"mcp-{uuid.uuid4()}", submit=True)))
            results = [await client.call_tool("approve", {"ids": [made["id"]]}),
                       await client.call_tool("submit", {"ids": [made["id"]]}),
                       await client.call_tool("create", task_body("k", category="nope")),
                       await client.call_tool("approve", {"ids": [made["id"]], "mine": True})]
            assert all(r.is_error for r in results)
            return (str(made["id"]), [document(r) for r in results],
                    [r.content[0].text for r in results])  # type: ignore[union-attr]

    before = denials(served, "marketplace-amazon", "approve")
    task, errors, lines = anyio.run(refused)
    assert denials(served, "marketplace-amazon", "approve") == before + 1  # audited
    assert [(e["error"], e["exit_code"]) for e in errors] == [
        ("AUTH", 4), ("CONFLICT", 5), ("USAGE", 2), ("USAGE", 2)]
    assert str(errors[2]["message"]).startswith("category: 'nope' is not one of")
    assert str(errors[3]["message"]).startswith("mine: approve takes no such argument")
    cli = mpo(served, "marketplace-amazon", "approve", task)
    assert cli.returncode == 4
    assert cli.stderr.strip() == lines[0]


def test_rate_limits_hold_as_on_every_door(served: Served, transport: str) -> None:
    """marketplace-kaway may create 2 tasks an hour (the server's MPO_RATE_LIMITS), counted
    in the database: whichever door made them, a third is refused."""
    async def three() -> list[CallToolResult]:
        async with connect(served, "marketplace-kaway", transport) as client:
            return [await client.call_tool("create", task_body(f"l-{uuid.uuid4()}"))
                    for _ in range(3)]

    last = anyio.run(three)[-1]
    assert last.is_error
    assert (document(last)["error"], document(last)["exit_code"]) == ("CONFLICT", 5)
    assert "rate limit 2/hour reached for marketplace-kaway" in str(document(last)["message"])


def denials(served: Served, who: str, verb: str) -> int:
    """How many refusals of `verb` to `who` the audit's access_denial holds."""
    engine = served.db().engine
    with engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM access_denial WHERE principal = :p "
                                  "AND verb = :v"), {"p": who, "v": verb}).scalar()
    engine.dispose()
    return int(found or 0)


def test_resources_read_a_task_and_the_status(served: Served, transport: str) -> None:
    async def read() -> tuple[dict[str, object], dict[str, object], str]:
        async with connect(served, "marketplace-amazon", transport) as client:
            made = document(await client.call_tool("create", task_body(f"r-{uuid.uuid4()}")))
            task = await client.read_resource(f"mpo://task/{made['id']}")
            try:
                await client.read_resource("mpo://status")
                refused = ""
            except MCPError as exc:
                refused = exc.message
        async with connect(served, "ana", transport) as client:
            status = await client.read_resource("mpo://status")
        return (json.loads(task.contents[0].text),  # type: ignore[union-attr]
                json.loads(status.contents[0].text), refused)  # type: ignore[union-attr]

    task, status, refused = anyio.run(read)
    assert task["status"] == "pending" and task["history"]
    assert "queue" in status
    assert refused.startswith("error: marketplace-amazon (role agent) may not status")


def test_the_docs_page_names_every_tool() -> None:
    from pathlib import Path

    from mpo.mcp.server import TOOLS

    page = (Path(__file__).parents[2] / "docs" / "mcp.md").read_text(encoding="utf-8")
    assert [t.name for t in TOOLS if f"`{t.name}`" not in page] == []


def test_an_executor_claims_through_mcp(served: Served, transport: str) -> None:
    """`claim` is a tool as it is a command and a route (issue 27): the next approved,
    unassigned task, held by the caller with a lease."""
    async def claimed() -> dict[str, object]:
        async with connect(served, "marketplace-amazon", transport) as agent:
            made = document(await agent.call_tool(
                "create", task_body(f"mcp-{uuid.uuid4()}", submit=True)))
        assert mpo(served, "ana", "approve", str(made["id"])).returncode == 0
        async with connect(served, "ana", transport) as admin:
            return document(await admin.call_tool("claim", {"lease": "10m",
                                                            "marketplace": ["amazon"]}))

    task = anyio.run(claimed)
    assert (task["status"], task["assigned_to"]) == ("in_progress", "ana")
    assert task["lease_expires_at"]

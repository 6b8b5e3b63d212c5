"""Request bodies, typed for the OpenAPI document. Types only: every rule about values
(allowed marketplaces, lengths, hours) is the core's, so its messages reach the client."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SeedCreate(BaseModel):
    """The seed agents' create body. Unknown keys reach the core, which names them."""

    model_config = ConfigDict(extra="allow")

    marketplace: str | None = None
    title: str | None = None
    description: str | None = None
    category: str | None = None
    priority: str | None = None
    estimatedHours: float | None = None
    createdBy: str | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None


class SeedApprove(BaseModel):
    """Approve or reject tasks (pending ones are submitted first)."""

    model_config = ConfigDict(extra="forbid")

    taskIds: list[str] = Field(min_length=1)
    approved: bool
    reason: str | None = None


class SeedAssign(BaseModel):
    """Assign an approved task to a team member."""

    model_config = ConfigDict(extra="forbid")

    taskId: str
    assignedTo: str


class SeedComplete(BaseModel):
    """Complete a task in progress with the hours spent."""

    model_config = ConfigDict(extra="forbid")

    taskId: str
    actualHours: float
    notes: str | None = None


class TaskIn(BaseModel):
    """One task to create (`POST /api/v1/tasks` with a JSON object)."""

    model_config = ConfigDict(extra="allow")

    marketplace: str | None = None
    title: str | None = None
    description: str | None = None
    category: str | None = None
    priority: str | None = None
    estimated_hours: float | None = None
    created_by: str | None = None
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None
    idempotency_key: str | None = None


class Batch(BaseModel):
    """Which tasks a lifecycle verb acts on, and how carefully (the CLI's flags)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(default_factory=list, description="Task ids or unique prefixes.")
    marketplace: list[str] = Field(default_factory=list)
    priority: list[str] = Field(default_factory=list)
    category: list[str] = Field(default_factory=list)
    created_by: list[str] = Field(default_factory=list)
    all: bool = False
    dry_run: bool = False
    skip_invalid: bool = False


class Submit(Batch):
    """`mpo submit`."""


class Approve(Batch):
    """`mpo approve`."""

    note: str | None = None


class Reject(Batch):
    """`mpo reject`: a reason code is required."""

    reason_code: str | None = None
    reason: str | None = None


class Assign(Batch):
    """`mpo assign`: `to` is required."""

    to: str | None = None
    note: str | None = None


class Start(Batch):
    """`mpo start`."""

    note: str | None = None


class Complete(Batch):
    """`mpo complete`: `actual_hours` is required."""

    actual_hours: float | None = None
    note: str | None = None

"""Request bodies, typed for the OpenAPI document. Types only: every rule about values
(allowed marketplaces, lengths, hours) is the core's, so its messages reach the client."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from mpo.core.domain.lifecycle import ActionSpec


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


def verb_body(spec: ActionSpec) -> type[Batch]:
    """The body of `POST /api/v1/tasks/{action}`: the selection, and the values the
    action's declaration says it carries (`reason-code` is `reason_code` here)."""
    fields: dict[str, Any] = {
        p.field.replace("-", "_"): (float | None if p.kind == "hours" else str | None,
                                    Field(default=None, description=p.help))
        for p in spec.params}
    required = [p.field.replace("-", "_") for p in spec.params if p.required]
    doc = f"`mpo {spec.action}`: {spec.summary.lower()}" + (
        f"; required: {', '.join(required)}." if required else ".")
    return create_model(spec.action.title(), __base__=Batch, __doc__=doc, **fields)


class Claim(BaseModel):
    """`mpo claim`: which tasks (each list: any of; empty: any), how long the lease, how
    long to wait for one when none is free."""

    model_config = ConfigDict(extra="forbid")

    marketplace: list[str] = Field(default_factory=list)
    category: list[str] = Field(default_factory=list)
    tag: list[str] = Field(default_factory=list)
    lease: str = Field(default="15m", description="90s, 15m, 2h.")
    wait: str | None = Field(default=None, description="30s, 10m; none: answer at once.")
    order: str = Field(default="oldest", description="oldest or priority.")


class Move(Batch):
    """`mpo move`: the status to move the selected tasks to (required), and why."""

    to: str | None = Field(default=None, description="The status to move to.")
    note: str | None = Field(default=None, description="Why, for the audit log.")


class Undo(BaseModel):
    """`mpo undo`: a batch id (every task it changed) or one event id."""

    model_config = ConfigDict(extra="forbid")

    ref: str = Field(description="A batch id (full UUID) or an event id (a number).")
    dry_run: bool = False

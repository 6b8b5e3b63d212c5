"""The rulebook (issue 20): a template's author counts as a proposer, undo takes back a
whole verb, and the PostgreSQL guards are generated from the lifecycle's declarations.

- `task.authored_by`: who wrote the content of a task made from a template (`mpo tick`,
  `mpo template run`, `mpo campaign create --template`); like `created_by` and
  `recorded_by`, they may not approve or reject it.
- The guards are installed again from `guards.rules()`: decisions also refuse the author,
  and undo may take back, as one event, the pairs of actions one verb makes in one
  transaction (an approval routed at once, the seed's submit-and-decide).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from mpo.store import guards

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: `guards.rules()` as of this revision: what the database enforces from now on.
RULES: dict[str, Any] = {
    "assignee_bound": ["member"],
    "authored_by": True,
    "claims": ["start"],
    "create": {
        "on_behalf": ["admin", "master"],
        "proposers": ["agent", "master"],
        "roles": ["admin", "agent", "master"],
        "status": "pending",
    },
    "decisions": ["approve", "reject"],
    "managers": ["admin"],
    "marketplace_bound": ["agent"],
    "own_only": {
        "cancel": {"agent": ["awaiting_approval", "pending"]},
        "submit": {"agent": ["pending"]},
    },
    "steps": {
        "checkpoint_approve": ["admin", "member"],
        "checkpoint_reject": ["admin", "member"],
        "checkpoint_submit": ["admin", "agent", "master"],
        "subtask_add": ["admin", "master"],
        "subtask_fail": ["admin", "agent", "master"],
        "subtask_start": ["admin", "agent", "master"],
    },
    "transitions": {
        "approve": {
            "roles": ["admin"],
            "sources": ["awaiting_approval"],
            "stamps": {"approved_at": "now", "approved_by": "actor"},
            "target": "approved",
        },
        "assign": {
            "roles": ["admin"],
            "sources": ["approved"],
            "stamps": {"assigned_by": "actor", "assigned_to": "given", "started_at": "now"},
            "target": "in_progress",
        },
        "cancel": {
            "roles": ["admin", "agent"],
            "sources": ["approved", "awaiting_approval", "in_progress", "pending"],
            "stamps": {
                "cancellation_code": "given",
                "cancellation_reason": "given",
                "cancelled_at": "now",
                "cancelled_by": "actor",
            },
            "target": "cancelled",
        },
        "complete": {
            "roles": ["admin", "member"],
            "sources": ["in_progress"],
            "stamps": {
                "actual_hours": "given",
                "completed_at": "now",
                "completed_by": "actor",
                "completion_notes": "given",
            },
            "target": "completed",
        },
        "reject": {
            "roles": ["admin"],
            "sources": ["awaiting_approval"],
            "stamps": {
                "rejected_at": "now",
                "rejected_by": "actor",
                "rejection_code": "given",
                "rejection_reason": "given",
            },
            "target": "rejected",
        },
        "start": {
            "roles": ["admin", "member"],
            "sources": ["approved"],
            "stamps": {"assigned_by": "actor", "assigned_to": "kept_or_actor", "started_at": "now"},
            "target": "in_progress",
        },
        "submit": {
            "roles": ["admin", "agent", "master"],
            "sources": ["pending"],
            "stamps": {"submitted_at": "now"},
            "target": "awaiting_approval",
        },
    },
    "undo": {
        "moves": {
            "approve": {
                "clears": ["approved_at", "approved_by"],
                "from": "approved",
                "to": ["awaiting_approval"],
            },
            "approve+assign": {
                "clears": [
                    "approved_at",
                    "approved_by",
                    "assigned_by",
                    "assigned_to",
                    "started_at",
                ],
                "from": "in_progress",
                "to": ["awaiting_approval"],
            },
            "assign": {
                "clears": ["assigned_by", "assigned_to", "started_at"],
                "from": "in_progress",
                "to": ["approved"],
            },
            "cancel": {
                "clears": [
                    "cancellation_code",
                    "cancellation_reason",
                    "cancelled_at",
                    "cancelled_by",
                ],
                "from": "cancelled",
                "to": ["approved", "awaiting_approval", "in_progress", "pending"],
            },
            "complete": {
                "clears": ["actual_hours", "completed_at", "completed_by", "completion_notes"],
                "from": "completed",
                "to": ["in_progress"],
            },
            "reject": {
                "clears": ["rejected_at", "rejected_by", "rejection_code", "rejection_reason"],
                "from": "rejected",
                "to": ["awaiting_approval"],
            },
            "start": {
                "clears": ["assigned_by", "assigned_to", "started_at"],
                "from": "in_progress",
                "to": ["approved"],
            },
            "submit": {"clears": ["submitted_at"], "from": "awaiting_approval", "to": ["pending"]},
            "submit+approve": {
                "clears": ["approved_at", "approved_by", "submitted_at"],
                "from": "approved",
                "to": ["pending"],
            },
            "submit+reject": {
                "clears": [
                    "rejected_at",
                    "rejected_by",
                    "rejection_code",
                    "rejection_reason",
                    "submitted_at",
                ],
                "from": "rejected",
                "to": ["pending"],
            },
        },
        "roles": ["admin"],
    },
}


def _install(rules: dict[str, Any]) -> None:
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    for statement in guards.statements(rules, str(schema)):
        op.execute(statement)


def upgrade() -> None:
    op.add_column("task", sa.Column("authored_by", sa.String(100), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _install(RULES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from importlib import import_module

        previous = import_module("mpo.store.migrations.versions.0009_guards_orchestrator")
        _install(previous.RULES)
    # Native DROP COLUMN (SQLite 3.35+): a batch copy of `task` would break its keys.
    op.execute("ALTER TABLE task DROP COLUMN authored_by")

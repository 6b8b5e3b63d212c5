"""Custom workflows (issue 20): the states an admin declares, and the edges they make.

- `workflow_state`: the declaration `mpo workflow apply` installs (name, after, enter,
  leave, distinct), in path order; `mpo workflow show` reads it.
- `workflow_edge`: the lifecycle derived from it by the core (`core/workflow.derive`): one
  row per action and status it leaves from, with the roles a custom state adds and whether
  the actor must not be the assignee. Empty when no workflow is applied: the PostgreSQL
  guards then enforce the built-in table; otherwise they read these rows.
- The guards are installed again: with `workflow_edge` rows, a task leaves a status by
  the edges there (roles, `distinct`), `move` events record the steps through custom
  states, and undo may go back along an edge; the deferred event check knows `move`.
- `task.status` may hold a custom state: `ck_task_status` only refuses an empty status now
  (the core and the guards decide which statuses exist).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from mpo.store import audit_guards, guards

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

APP_ROLE = "mpo_app"
ROLE = "(SELECT mpo_principal_role())"
TABLES = ("workflow_state", "workflow_edge")
STATUSES = ", ".join(
    repr(s)
    for s in (
        "pending",
        "awaiting_approval",
        "approved",
        "rejected",
        "in_progress",
        "completed",
        "cancelled",
    )
)


#: `guards.rules()` as of this revision.
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
    "workflow": True,
}

#: `audit_guards.rules()` as of this revision.
AUDIT_RULES: dict[str, Any] = {
    "subtask": {
        "add": "subtask_add",
        "moves": {
            "checkpoint_approve": "completed",
            "checkpoint_reject": "pending",
            "checkpoint_submit": "awaiting_checkpoint",
            "subtask_fail": "failed",
            "subtask_start": "in_progress",
        },
    },
    "task": {
        "create": "create",
        "moves": [
            "approve",
            "assign",
            "cancel",
            "complete",
            "move",
            "reject",
            "start",
            "submit",
            "undo",
        ],
    },
}


def _install(rules: dict[str, Any], audit: dict[str, Any]) -> None:
    schema = str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar())
    for statement in (*guards.statements(rules, schema), *audit_guards.statements(audit, schema)):
        op.execute(statement)


def _sqlite_schema(old: str, new: str) -> None:
    """Replace text in the CREATE TABLE statement of `task` (SQLite only; see SQLite's
    ALTER TABLE documentation on changing constraints through writable_schema)."""
    bind = op.get_bind()
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'task'",
        (old, new),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _status_check(old: str, new: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_schema(old, new)
    else:
        op.drop_constraint("ck_task_status", "task", type_="check")
        op.create_check_constraint("ck_task_status", "task", new)


def upgrade() -> None:
    op.create_table(
        "workflow_state",
        sa.Column("position", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(20), nullable=False, unique=True),
        sa.Column("after", sa.String(20), nullable=False),
        sa.Column("enter", sa.JSON(), nullable=False),
        sa.Column("leave", sa.JSON(), nullable=False),
        sa.Column("distinct", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "workflow_edge",
        sa.Column("action", sa.String(20), primary_key=True),
        sa.Column("source", sa.String(20), primary_key=True),
        sa.Column("target", sa.String(20), primary_key=True),
        sa.Column("roles", sa.JSON(), nullable=True),
        sa.Column("not_by_assignee", sa.Boolean(), nullable=False),
    )
    _status_check(f"status IN ({STATUSES})", "status <> ''")
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            # Every role reads the lifecycle in force; only admins change it.
            op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING (true)")
            op.execute(
                f"CREATE POLICY {table}_admin ON {table} FOR ALL "
                f"USING ({ROLE} = 'admin') WITH CHECK ({ROLE} = 'admin')"
            )
            op.execute(f"GRANT SELECT, INSERT, DELETE ON {table} TO {APP_ROLE}")
        _install(RULES, AUDIT_RULES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from importlib import import_module

        versions = "mpo.store.migrations.versions"
        rulebook = import_module(f"{versions}.0013_rulebook")
        audit = import_module(f"{versions}.0012_subtask_and_audit_guards")
        _install(rulebook.RULES, audit.AUDIT_RULES)
        for function in ("mpo_edge_ok(text, text, text, text, text, text)",
                         "mpo_edge_roles(text, text, text)", "mpo_edge_back(text, text)"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
        for table in TABLES:
            op.execute(f"DROP POLICY {table}_read ON {table}")
            op.execute(f"DROP POLICY {table}_admin ON {table}")
    _status_check("status <> ''", f"status IN ({STATUSES})")
    op.drop_table("workflow_edge")
    op.drop_table("workflow_state")

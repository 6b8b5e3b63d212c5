"""Writes the core would refuse are refused by PostgreSQL too; who really created a task.

- `task.recorded_by`: the authenticated principal that inserted the task, next to
  `created_by` (whom it was created for). Neither may approve or reject it. Existing rows
  take it from their `create` event.
- PostgreSQL: the guards of `mpo.store.guards` (triggers on task, task_event, principal and
  access_denial, generated from the lifecycle and permission tables frozen below), one
  UPDATE policy on task in place of the three per-role ones of 0003, and no DELETE or
  TRUNCATE for `mpo_app`. When `TRANSITIONS` or `PERMISSIONS` change, a test says so: add a
  revision with the new `guards.rules()` frozen in it that calls `guards.statements()`.

SQLite has no roles: only the column is added there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from mpo.store import guards

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: `guards.rules()` as of this revision: what the database enforces from now on.
RULES: dict[str, Any] = {'assignee_bound': ['member'],
                         'claims': ['start'],
                         'create': {'on_behalf': ['admin', 'master'],
                                    'proposers': ['agent', 'master'],
                                    'roles': ['admin', 'agent', 'master'],
                                    'status': 'pending'},
                         'decisions': ['approve', 'reject'],
                         'managers': ['admin'],
                         'marketplace_bound': ['agent'],
                         'transitions': {'approve': {'roles': ['admin'],
                                                     'sources': ['awaiting_approval'],
                                                     'stamps': {'approved_at': 'now',
                                                                'approved_by': 'actor'},
                                                     'target': 'approved'},
                                         'assign': {'roles': ['admin'],
                                                    'sources': ['approved'],
                                                    'stamps': {'assigned_to': 'given',
                                                               'started_at': 'now'},
                                                    'target': 'in_progress'},
                                         'complete': {'roles': ['admin', 'member'],
                                                      'sources': ['in_progress'],
                                                      'stamps': {'actual_hours': 'given',
                                                                 'completed_at': 'now'},
                                                      'target': 'completed'},
                                         'reject': {'roles': ['admin'],
                                                    'sources': ['awaiting_approval'],
                                                    'stamps': {'rejected_at': 'now',
                                                               'rejected_by': 'actor',
                                                               'rejection_code': 'given',
                                                               'rejection_reason': 'given'},
                                                    'target': 'rejected'},
                                         'start': {'roles': ['admin', 'member'],
                                                   'sources': ['approved'],
                                                   'stamps': {'assigned_to': 'kept_or_actor',
                                                              'started_at': 'now'},
                                                   'target': 'in_progress'},
                                         'submit': {'roles': ['admin', 'master'],
                                                    'sources': ['pending'],
                                                    'stamps': {'submitted_at': 'now'},
                                                    'target': 'awaiting_approval'}}}

#: The per-role UPDATE policies of 0003, which `task_transition` replaces.
OLD_POLICIES = {
    "task_admin_update": """CREATE POLICY task_admin_update ON task FOR UPDATE
        USING ((SELECT mpo_principal_role()) = 'admin')
        WITH CHECK ((SELECT mpo_principal_role()) = 'admin')""",
    "task_master_submit": """CREATE POLICY task_master_submit ON task FOR UPDATE
        USING ((SELECT mpo_principal_role()) = 'master' AND status = 'pending')
        WITH CHECK ((SELECT mpo_principal_role()) = 'master' AND status = 'awaiting_approval')""",
    "task_member_work": """CREATE POLICY task_member_work ON task FOR UPDATE
        USING ((SELECT mpo_principal_role()) = 'member'
               AND (assigned_to = (SELECT mpo_principal_name())
                    OR (status = 'approved' AND assigned_to IS NULL)))
        WITH CHECK ((SELECT mpo_principal_role()) = 'member'
               AND assigned_to = (SELECT mpo_principal_name())
               AND status IN ('in_progress', 'completed'))""",
}

BACKFILL = """UPDATE task SET recorded_by = (
    SELECT e.actor FROM task_event e WHERE e.task_id = task.id AND e.action = 'create'
    ORDER BY e.id LIMIT 1)"""


def upgrade() -> None:
    op.add_column("task", sa.Column("recorded_by", sa.String(100), nullable=True))
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        op.execute(BACKFILL)
        return
    # The owner obeys task's policies (FORCE): lift them for the backfill, in this transaction.
    op.execute("ALTER TABLE task NO FORCE ROW LEVEL SECURITY")
    op.execute(BACKFILL)
    op.execute("ALTER TABLE task FORCE ROW LEVEL SECURITY")
    for name in OLD_POLICIES:
        op.execute(f"DROP POLICY IF EXISTS {name} ON task")
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    for statement in guards.statements(RULES, str(schema)):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, trigger, _, _ in guards.TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for name in guards.FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
        op.execute("DROP POLICY IF EXISTS task_transition ON task")
        for policy in OLD_POLICIES.values():
            op.execute(policy)
    op.drop_column("task", "recorded_by")

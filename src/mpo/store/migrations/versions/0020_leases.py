"""Execution with leases (issue 27): `task.lease_expires_at`, and the guards again.

- `task.lease_expires_at` (indexed): when an executor's claim runs out; NULL when nobody
  holds a lease.
- The PostgreSQL guards are installed again from `guards.rules()`, which now has the
  actions of `core/domain/execution.py`: `claim` (approved -> in_progress, assigned to the
  claimer, a lease ending after now()), `heartbeat` (a new lease end, on a live lease),
  `release` and `lease_expired` (in_progress -> approved, assignee, start and lease
  cleared; `lease_expired` only once the lease ran out) and `note` (nothing changes but the
  history, on a live lease); `complete` needs a live lease (or none). Agents and the master
  may claim and complete; like members, they do work only on tasks assigned to them. The
  audit guards know the new events.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from mpo.store import audit_guards, guards

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

#: `guards.rules()` as of this revision.
RULES: dict[str, Any] = {'assignee_bound': ['agent', 'master', 'member'],
 'authored_by': True,
 'claims': ['claim', 'start'],
 'create': {'on_behalf': ['admin', 'master'],
            'proposers': ['agent', 'master'],
            'roles': ['admin', 'agent', 'master'],
            'status': 'pending'},
 'decisions': ['approve', 'reject'],
 'executing': ['claim', 'complete', 'heartbeat', 'note', 'release', 'start'],
 'leases': {'complete': 'live',
            'heartbeat': 'live',
            'lease_expired': 'expired',
            'note': 'live'},
 'managers': ['admin'],
 'marketplace_bound': ['agent'],
 'own_only': {'cancel': {'agent': ['awaiting_approval', 'pending']},
              'submit': {'agent': ['pending']}},
 'steps': {'checkpoint_approve': ['admin', 'member'],
           'checkpoint_reject': ['admin', 'member'],
           'checkpoint_submit': ['admin', 'agent', 'master'],
           'subtask_add': ['admin', 'master'],
           'subtask_fail': ['admin', 'agent', 'master'],
           'subtask_start': ['admin', 'agent', 'master']},
 'transitions': {'approve': {'roles': ['admin'],
                             'sources': ['awaiting_approval'],
                             'stamps': {'approved_at': 'now', 'approved_by': 'actor'},
                             'target': 'approved'},
                 'assign': {'roles': ['admin'],
                            'sources': ['approved'],
                            'stamps': {'assigned_by': 'actor',
                                       'assigned_to': 'given',
                                       'started_at': 'now'},
                            'target': 'in_progress'},
                 'cancel': {'roles': ['admin', 'agent'],
                            'sources': ['approved',
                                        'awaiting_approval',
                                        'in_progress',
                                        'pending'],
                            'stamps': {'cancellation_code': 'given',
                                       'cancellation_reason': 'given',
                                       'cancelled_at': 'now',
                                       'cancelled_by': 'actor'},
                            'target': 'cancelled'},
                 'claim': {'roles': ['admin', 'agent', 'master', 'member'],
                           'sources': ['approved'],
                           'stamps': {'assigned_by': 'actor',
                                      'assigned_to': 'actor',
                                      'lease_expires_at': 'lease',
                                      'started_at': 'now'},
                           'target': 'in_progress'},
                 'complete': {'roles': ['admin', 'agent', 'master', 'member'],
                              'sources': ['in_progress'],
                              'stamps': {'actual_hours': 'given',
                                         'completed_at': 'now',
                                         'completed_by': 'actor',
                                         'completion_notes': 'given'},
                              'target': 'completed'},
                 'heartbeat': {'roles': ['admin', 'agent', 'master', 'member'],
                               'sources': ['in_progress'],
                               'stamps': {'lease_expires_at': 'lease'},
                               'target': 'in_progress'},
                 'lease_expired': {'roles': ['admin', 'agent', 'master', 'member'],
                                   'sources': ['in_progress'],
                                   'stamps': {'assigned_by': 'cleared',
                                              'assigned_to': 'cleared',
                                              'lease_expires_at': 'cleared',
                                              'started_at': 'cleared'},
                                   'target': 'approved'},
                 'note': {'roles': ['admin', 'agent', 'master', 'member'],
                          'sources': ['in_progress'],
                          'stamps': {},
                          'target': 'in_progress'},
                 'reject': {'roles': ['admin'],
                            'sources': ['awaiting_approval'],
                            'stamps': {'rejected_at': 'now',
                                       'rejected_by': 'actor',
                                       'rejection_code': 'given',
                                       'rejection_reason': 'given'},
                            'target': 'rejected'},
                 'release': {'roles': ['admin', 'agent', 'master', 'member'],
                             'sources': ['in_progress'],
                             'stamps': {'assigned_by': 'cleared',
                                        'assigned_to': 'cleared',
                                        'lease_expires_at': 'cleared',
                                        'started_at': 'cleared'},
                             'target': 'approved'},
                 'start': {'roles': ['admin', 'member'],
                           'sources': ['approved'],
                           'stamps': {'assigned_by': 'actor',
                                      'assigned_to': 'kept_or_actor',
                                      'started_at': 'now'},
                           'target': 'in_progress'},
                 'submit': {'roles': ['admin', 'agent', 'master'],
                            'sources': ['pending'],
                            'stamps': {'submitted_at': 'now'},
                            'target': 'awaiting_approval'}},
 'undo': {'moves': {'approve': {'clears': ['approved_at', 'approved_by'],
                                'from': 'approved',
                                'to': ['awaiting_approval']},
                    'approve+assign': {'clears': ['approved_at',
                                                  'approved_by',
                                                  'assigned_by',
                                                  'assigned_to',
                                                  'started_at'],
                                       'from': 'in_progress',
                                       'to': ['awaiting_approval']},
                    'assign': {'clears': ['assigned_by', 'assigned_to', 'started_at'],
                               'from': 'in_progress',
                               'to': ['approved']},
                    'cancel': {'clears': ['cancellation_code',
                                          'cancellation_reason',
                                          'cancelled_at',
                                          'cancelled_by'],
                               'from': 'cancelled',
                               'to': ['approved',
                                      'awaiting_approval',
                                      'in_progress',
                                      'pending']},
                    'claim': {'clears': ['assigned_by',
                                         'assigned_to',
                                         'lease_expires_at',
                                         'started_at'],
                              'from': 'in_progress',
                              'to': ['approved']},
                    'complete': {'clears': ['actual_hours',
                                            'completed_at',
                                            'completed_by',
                                            'completion_notes'],
                                 'from': 'completed',
                                 'to': ['in_progress']},
                    'reject': {'clears': ['rejected_at',
                                          'rejected_by',
                                          'rejection_code',
                                          'rejection_reason'],
                               'from': 'rejected',
                               'to': ['awaiting_approval']},
                    'start': {'clears': ['assigned_by', 'assigned_to', 'started_at'],
                              'from': 'in_progress',
                              'to': ['approved']},
                    'submit': {'clears': ['submitted_at'],
                               'from': 'awaiting_approval',
                               'to': ['pending']},
                    'submit+approve': {'clears': ['approved_at', 'approved_by', 'submitted_at'],
                                       'from': 'approved',
                                       'to': ['pending']},
                    'submit+reject': {'clears': ['rejected_at',
                                                 'rejected_by',
                                                 'rejection_code',
                                                 'rejection_reason',
                                                 'submitted_at'],
                                      'from': 'rejected',
                                      'to': ['pending']}},
          'roles': ['admin']},
 'workflow': True}

#: `audit_guards.rules()` as of this revision.
AUDIT_RULES: dict[str, Any] = {'subtask': {'add': 'subtask_add',
             'moves': {'checkpoint_approve': 'completed',
                       'checkpoint_reject': 'pending',
                       'checkpoint_submit': 'awaiting_checkpoint',
                       'subtask_fail': 'failed',
                       'subtask_start': 'in_progress'}},
 'task': {'create': 'create',
          'moves': ['approve',
                    'assign',
                    'cancel',
                    'claim',
                    'complete',
                    'heartbeat',
                    'lease_expired',
                    'move',
                    'note',
                    'reject',
                    'release',
                    'start',
                    'submit',
                    'undo']}}


def _install(rules: dict[str, Any], audit: dict[str, Any]) -> None:
    schema = str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar())
    for statement in (*guards.statements(rules, schema), *audit_guards.statements(audit, schema)):
        op.execute(statement)
    # The guards revoke DELETE on every table from the app; 0015 gave it back on templates
    # (`mpo template remove` as an app login), and still stands.
    op.execute("GRANT DELETE ON task_template TO mpo_app")


def upgrade() -> None:
    op.add_column("task", sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_task_lease_expires_at", "task", ["lease_expires_at"])
    if op.get_bind().dialect.name == "postgresql":
        _install(RULES, AUDIT_RULES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from importlib import import_module

        workflow = import_module("mpo.store.migrations.versions.0014_workflow")
        _install(workflow.RULES, workflow.AUDIT_RULES)
    op.drop_index("ix_task_lease_expires_at", table_name="task")
    # SQLite 3.35+ drops a column in place (a batch copy would trip the event foreign key).
    op.execute("ALTER TABLE task DROP COLUMN lease_expires_at")

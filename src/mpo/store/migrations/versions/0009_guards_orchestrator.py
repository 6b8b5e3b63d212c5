"""Re-install the PostgreSQL write guards for the orchestrator's and the subtasks' rules.

Since 0005 the lifecycle gained `cancel` (from several statuses) and `undo` (each
transition's inverse, admins only), agents submit and cancel their own proposals
(`OWN_ONLY`), the assign/start/complete transitions stamp who did them, and subtask steps
are recorded as events on their parent (`subtask_*`, `checkpoint_*`). The guards of
`mpo.store.guards` are generated again from those tables, frozen below.

SQLite has no roles: nothing changes there.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from typing import Any

from alembic import op

from mpo.store import guards

revision = "0009"
down_revision = "0008"
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
                                                     'stamps': {'approved_at': 'now',
                                                                'approved_by': 'actor'},
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
                                         'complete': {'roles': ['admin', 'member'],
                                                      'sources': ['in_progress'],
                                                      'stamps': {'actual_hours': 'given',
                                                                 'completed_at': 'now',
                                                                 'completed_by': 'actor',
                                                                 'completion_notes': 'given'},
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
                                                   'stamps': {'assigned_by': 'actor',
                                                              'assigned_to': 'kept_or_actor',
                                                              'started_at': 'now'},
                                                   'target': 'in_progress'},
                                         'submit': {'roles': ['admin', 'agent', 'master'],
                                                    'sources': ['pending'],
                                                    'stamps': {'submitted_at': 'now'},
                                                    'target': 'awaiting_approval'}},
                         'undo': {'moves': {'approve': {'clears': ['approved_at',
                                                                   'approved_by'],
                                                        'from': 'approved',
                                                        'to': ['awaiting_approval']},
                                            'assign': {'clears': ['assigned_by',
                                                                  'assigned_to',
                                                                  'started_at'],
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
                                            'start': {'clears': ['assigned_by',
                                                                 'assigned_to',
                                                                 'started_at'],
                                                      'from': 'in_progress',
                                                      'to': ['approved']},
                                            'submit': {'clears': ['submitted_at'],
                                                       'from': 'awaiting_approval',
                                                       'to': ['pending']}},
                                  'roles': ['admin']}}


def _install(rules: dict[str, Any]) -> None:
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    for statement in guards.statements(rules, str(schema)):
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _install(RULES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from importlib import import_module

        previous = import_module("mpo.store.migrations.versions.0005_write_guards")
        _install(previous.RULES)

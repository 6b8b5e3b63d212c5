"""PostgreSQL: subtask steps are guarded like tasks, and every change carries its event
(issue 20).

- `mpo_subtask_guard` (`mpo.store.subtask_guards`, generated from `core.subtasks.MOVES`,
  `stamps()` and the permission table, frozen below as SUBTASK_RULES): as an `mpo_app`
  login a step is born pending, last and in the adder's name, moves only along `MOVES` by
  the roles allowed, changes only what its step stamps, and starts only in the order and
  on the tasks the core allows. Row-level security (0006) alone let a master insert a
  completed step, an agent start step 2 while step 1 waited, or an admin move steps to
  another task.
- `task_evented`, `subtask_evented` (`mpo.store.audit_guards`, frozen as AUDIT_RULES):
  deferred constraint triggers that refuse, at COMMIT, a transaction of an `mpo_app` login
  that inserted or updated a task or a step without writing its matching `task_event`.
  Before, a submit, cancel, approval or checkpoint made with raw SQL left no history.

The owner and superusers are exempt from both, as from the guards of 0005. When the core's
tables change, the drift tests say so: add a revision that freezes the new `rules()` of
the module concerned and executes its `statements()`, as this one does.

SQLite has no roles or triggers of this kind: nothing changes there.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from typing import Any

from alembic import op

from mpo.store import audit_guards, subtask_guards

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: `subtask_guards.rules()` as of this revision.
SUBTASK_RULES: dict[str, Any] = {
    'add': {'finished_parents': ['completed', 'rejected'],
            'roles': ['admin', 'master'],
            'status': 'pending'},
    'marketplace_bound': ['agent'],
    'moves': {'checkpoint_approve': {'roles': ['admin', 'member'],
                                     'sources': ['awaiting_checkpoint'],
                                     'stamps': {'updated_at': 'now'},
                                     'target': 'completed'},
              'checkpoint_reject': {'roles': ['admin', 'member'],
                                    'sources': ['awaiting_checkpoint'],
                                    'stamps': {'result': 'cleared', 'updated_at': 'now'},
                                    'target': 'pending'},
              'checkpoint_submit': {'roles': ['admin', 'agent', 'master'],
                                    'sources': ['in_progress'],
                                    'stamps': {'result': 'given', 'updated_at': 'now'},
                                    'target': 'awaiting_checkpoint'},
              'subtask_fail': {'roles': ['admin', 'agent', 'master'],
                               'sources': ['in_progress', 'pending'],
                               'stamps': {'updated_at': 'now'},
                               'target': 'failed'},
              'subtask_start': {'roles': ['admin', 'agent', 'master'],
                                'sources': ['pending'],
                                'stamps': {'updated_at': 'now'},
                                'target': 'in_progress'}},
    'start': {'earlier': 'completed',
              'parents': ['approved', 'in_progress'],
              'step': 'subtask_start'},
}

#: `audit_guards.rules()` as of this revision.
AUDIT_RULES: dict[str, Any] = {
    'subtask': {'add': 'subtask_add',
                'moves': {'checkpoint_approve': 'completed',
                          'checkpoint_reject': 'pending',
                          'checkpoint_submit': 'awaiting_checkpoint',
                          'subtask_fail': 'failed',
                          'subtask_start': 'in_progress'}},
    'task': {'create': 'create',
             'moves': ['approve', 'assign', 'cancel', 'complete', 'reject', 'start',
                       'submit', 'undo']},
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = str(op.get_bind().exec_driver_sql("SELECT current_schema()").scalar())
    for statement in (*subtask_guards.statements(SUBTASK_RULES, schema),
                      *audit_guards.statements(AUDIT_RULES, schema)):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, trigger, _ in audit_guards.TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for table, trigger, _, _ in subtask_guards.TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for name in (*audit_guards.FUNCTIONS, *audit_guards.HELPERS, *subtask_guards.FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {name}")

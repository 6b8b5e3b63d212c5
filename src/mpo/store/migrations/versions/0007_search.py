"""Full-text search over a task's title, description and tags (`mpo list --search`), and
list indexes led by creator, assignee, priority and category, then creation time: `mpo
list --created-by X -n 50` at a million tasks reads 50 entries instead of sorting all of X's
tasks, and `--priority high --category scaling` no longer scans the stats index whole.

SQLite: an FTS5 table over `task` (external content: the text is stored once, in `task`)
kept in step by triggers; they fire on inserts and on edits of the three columns only, so
lifecycle updates never touch it. Diacritics are kept, as PostgreSQL's `simple`
configuration keeps them, so both databases find the same tasks.

PostgreSQL: a GIN index on the `simple` tsvector of the same three columns; queries spell
the expression exactly as `mpo.store.search.TSVECTOR` does, so the planner uses it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: Frozen copy of `mpo.store.search.TSVECTOR` at this revision.
TSVECTOR = ("to_tsvector('simple'::regconfig, coalesce(title, '') || ' ' || "
            "coalesce(description, '') || ' ' || coalesce(tags::text, ''))")

SQLITE = (
    "CREATE VIRTUAL TABLE task_search USING fts5(title, description, tags, "
    "content='task', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER task_search_insert AFTER INSERT ON task BEGIN "
    "INSERT INTO task_search(rowid, title, description, tags) "
    "VALUES (new.rowid, new.title, new.description, new.tags); END",
    "CREATE TRIGGER task_search_delete AFTER DELETE ON task BEGIN "
    "INSERT INTO task_search(task_search, rowid, title, description, tags) "
    "VALUES ('delete', old.rowid, old.title, old.description, old.tags); END",
    "CREATE TRIGGER task_search_update AFTER UPDATE OF title, description, tags ON task BEGIN "
    "INSERT INTO task_search(task_search, rowid, title, description, tags) "
    "VALUES ('delete', old.rowid, old.title, old.description, old.tags); "
    "INSERT INTO task_search(rowid, title, description, tags) "
    "VALUES (new.rowid, new.title, new.description, new.tags); END",
    "INSERT INTO task_search(task_search) VALUES ('rebuild')",
)


#: (old single-column index, its replacement led by the same column then created_at).
LIST = (("ix_task_assigned_to", "ix_task_assigned_to_created_at", "assigned_to"),
        ("ix_task_created_by", "ix_task_created_by_created_at", "created_by"))


#: New list indexes, led by a filter then created_at.
ORDERED_BY = (("ix_task_priority_created_at", "priority"),
              ("ix_task_category_created_at", "category"))


def upgrade() -> None:
    for old, new, column in LIST:
        op.create_index(new, "task", [column, "created_at"])
        op.drop_index(old, table_name="task")
    for name, column in ORDERED_BY:
        op.create_index(name, "task", [column, "created_at"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
    else:
        op.execute(f"CREATE INDEX ix_task_search ON task USING gin (({TSVECTOR}))")


def downgrade() -> None:
    for name, _ in ORDERED_BY:
        op.drop_index(name, table_name="task")
    for old, new, column in LIST:
        op.create_index(old, "task", [column])
        op.drop_index(new, table_name="task")
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("task_search_insert", "task_search_delete", "task_search_update"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE task_search")
    else:
        op.execute("DROP INDEX ix_task_search")

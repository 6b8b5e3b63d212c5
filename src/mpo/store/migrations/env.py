"""Alembic environment: runs on the connection `mpo.store.migrate` hands it, never its own."""

from alembic import context
from sqlmodel import SQLModel

import mpo.core.tables.archive
import mpo.core.tables.models  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic migrations. `HEAD` names the newest revision; a test keeps it equal to Alembic's."""

HEAD = "0027"

from pathlib import Path

import pytest

from tests.cli.conftest import db as cli_db
from tests.team import add_members

__all__ = ["cli_db"]  # fixtures


@pytest.fixture
def db(cli_db: Path) -> Path:
    """An SQLite database made by `mpo init --admin root`, with the team of tests/team.py."""
    add_members(f"sqlite:///{cli_db}")
    return cli_db

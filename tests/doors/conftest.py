"""Each test module gets one world per database: SQLite, and PostgreSQL reached as a login
in `mpo_app` (row-level security and the write guards apply, as in production), with a
running `mpo serve` over it. Tests make their own tasks, so they share the world."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.doors.world import World, world


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def doors_world(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The module's world on each database."""
    with world(request.param, tmp_path_factory.mktemp(f"doors-{request.param}")) as found:
        yield found

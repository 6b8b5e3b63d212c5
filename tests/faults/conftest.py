"""Print the fault harness's tally at the end of the session (see world.TALLY)."""

from __future__ import annotations

import pytest

from tests.faults.world import TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TALLY:
        terminalreporter.write_line(
            "fault harness: " + ", ".join(f"{k} {v}" for k, v in sorted(TALLY.items())))

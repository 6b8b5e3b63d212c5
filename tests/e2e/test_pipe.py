"""`mpo list | head`: a reader that goes away early ends the command quietly, exit 0, as
gh does (issue 21); the pipe's earlier stages are not failures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli.conftest import environment
from tests.cli.steps import agent_token
from tests.conftest import MpoRunner


def test_a_closed_pipe_exits_0_quietly(runner: MpoRunner, initialised: str,
                                       tmp_path: Path) -> None:
    lines = tmp_path / "tasks.ndjson"
    lines.write_text("".join(json.dumps({
        "marketplace": "amazon", "title": f"Rewrite GEO titles of listing {n}",
        "category": "optimization", "estimated_hours": 2}) + "\n" for n in range(1500)))
    made = runner("create", "--from", str(lines), env={"MPO_TOKEN": agent_token(runner)})
    assert made.exit_code == 0, made.stderr
    # 1,500 rows as JSON are far more than a pipe's buffer: mpo is still writing when
    # head has gone.
    done = subprocess.run(
        ["bash", "-c", "mpo list --limit 1500 --json | head -c 10 >/dev/null; "
                       'echo "${PIPESTATUS[0]}"'],
        capture_output=True, text=True, env=environment(MPO_DATABASE_URL=initialised),
        timeout=60, check=False)
    assert done.stdout.strip() == "0", done.stderr
    assert "Error" not in done.stderr and "error" not in done.stderr

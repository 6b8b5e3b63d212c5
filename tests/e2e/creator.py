"""One concurrent writer for tests/e2e/test_concurrency.py: a real OS process that runs the
`mpo create` entry point in-process N times against MPO_DATABASE_URL.

Usage: python creator.py WORKER COUNT GO_FILE OUT_FILE [IDEMPOTENCY_KEY]
Waits for GO_FILE to exist (so all writers start together), then writes one JSON line per
create to OUT_FILE: {"code": exit code, "output": stdout, "error": stderr}.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from pathlib import Path

from mpo.cli.app import main


def create(title: str, key: str | None) -> dict[str, object]:
    out, err = io.StringIO(), io.StringIO()
    args = ["create", "-m", "amazon", "-t", title, "-c", "scaling", "-e", "1",
            "--created-by", "marketplace-amazon", "--json"]
    if key is not None:
        args += ["--idempotency-key", key]
    code: object = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code
    return {"code": code, "output": out.getvalue(), "error": err.getvalue()}


def run(worker: str, count: int, go: Path, out: Path, key: str | None) -> None:
    while not go.exists():
        time.sleep(0.01)
    with out.open("w") as results:
        for n in range(count):
            title = "same for everyone" if key else f"worker {worker} task {n}"
            results.write(json.dumps(create(title, key)) + "\n")


if __name__ == "__main__":
    worker, count, go, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    run(worker, count, go, out, sys.argv[5] if len(sys.argv) > 5 else None)

"""`mpo` for the docs' shell blocks without an interpreter start and its imports each time.

A zygote process imports mpo once and listens on a Unix socket; the `mpo` on the blocks'
PATH is a few lines of stdlib Python that send the zygote its arguments, environment,
working directory and standard streams (the file descriptors themselves), and exit with the
status of the process the zygote forks for it. That process runs the console script's own
entry point (`mpo.cli.entry.run`) with those streams, that environment and that directory:
the same program as the installed `mpo`, 0.4 s of imports cheaper (issue 26). The installed
script itself is run by the end-to-end tests (tests/e2e, tests/cli `mpo_process`).
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
from pathlib import Path

#: The client: `mpo` on PATH. stdlib only, started with -IS (a few milliseconds).
SHIM = '''#!{python} -IS
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect({path!r})
msg = json.dumps({{"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}}).encode()
socket.send_fds(s, [len(msg).to_bytes(8, "big")], [0, 1, 2])
s.sendall(msg)
status = b""
while chunk := s.recv(64):
    status += chunk
sys.exit(int(status) if status else 70)
'''

#: Imported before forking: what the commands import (not the servers nor the TUI).
PRELOAD = ("mpo.cli.app", "mpo.cli.entry", "mpo.core.tables.models", "sqlalchemy", "sqlmodel",
           "psycopg", "keyring", "keyrings.alt.file", "rich.console", "rich.table")
SKIP = ("mpo.http", "mpo.tui", "mpo.mcp", "mpo.web", "mpo.__main__", "mpo.store.migrations.")


def start(folder: Path) -> subprocess.Popen[bytes]:
    """The zygote, listening in `folder`, and `folder/bin/mpo`, its client."""
    path = folder / "zygote.sock"
    (folder / "bin").mkdir()
    shim = folder / "bin" / "mpo"
    shim.write_text(SHIM.format(python=sys.executable, path=str(path)))
    shim.chmod(0o755)
    process = subprocess.Popen([sys.executable, "-m", "tests.zygote", str(path)],
                               cwd=Path(__file__).parents[1], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL)
    while not path.exists():
        if process.poll() is not None:
            raise RuntimeError("the zygote did not start")
        select.select([], [], [], 0.02)
    return process


def _preload() -> None:
    import importlib
    import pkgutil

    import mpo

    for name in PRELOAD:
        importlib.import_module(name)
    for module in pkgutil.walk_packages(mpo.__path__, "mpo."):
        if not module.name.startswith(SKIP):
            importlib.import_module(module.name)
    import threading

    assert threading.active_count() == 1, "a zygote forks with one thread only"


def _receive(conn: socket.socket) -> tuple[dict[str, object], list[int]]:
    import json

    head, fds, _, _ = socket.recv_fds(conn, 8, 3)
    size = int.from_bytes(head, "big")
    body = b""
    while len(body) < size:
        body += conn.recv(size - len(body))
    return json.loads(body), fds


def _child(conn: socket.socket) -> None:
    """In the forked process: become the `mpo` the client asked for, and run it."""
    message, fds = _receive(conn)
    conn.close()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(str(message["cwd"]))
    os.environ.clear()
    os.environ.update(message["env"])  # type: ignore[arg-type]
    sys.argv = ["mpo", *message["argv"]]  # type: ignore[misc]
    from mpo.cli.entry import run

    run()  # its exit, as the console script's, is this process's


def main(path: str) -> None:
    _preload()
    server = socket.socket(socket.AF_UNIX)
    server.bind(path + ".new")
    server.listen(64)
    os.rename(path + ".new", path)
    waiting: dict[int, socket.socket] = {}
    while True:
        ready, _, _ = select.select([server], [], [], 0.005 if waiting else 1)
        if ready:
            conn, _ = server.accept()
            pid = os.fork()
            if pid == 0:
                server.close()
                for other in waiting.values():
                    other.close()
                _child(conn)
                return
            waiting[pid] = conn
        while waiting:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            conn = waiting.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            with conn:
                conn.sendall(str(code if code >= 0 else 128 - code).encode())


if __name__ == "__main__":
    main(sys.argv[1])

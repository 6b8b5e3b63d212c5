"""A real PgBouncer in transaction-pooling mode in front of the test PostgreSQL server: its
own process on a free port, with a temporary ini and auth file (issue 25).

Debian installs it in /usr/sbin, which is not on a normal user's PATH. Missing, the tests
that need it skip, or fail under CI=true (`.ci/run` installs it). PgBouncer refuses to run
as root, so as root it drops to `nobody`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
INI = """[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {auth}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
logfile = {log}
"""


@dataclass(frozen=True)
class Pooler:
    """A running PgBouncer: its port and its log."""

    port: int
    log: Path

    def logins(self, user: str) -> int:
        """How many clients logged in as `user` so far."""
        return sum("login attempt" in line and f" user={user} " in line
                   for line in self.log.read_text().splitlines())


def binary() -> str:
    """The pgbouncer executable; skips (fails under CI=true) without one."""
    found = shutil.which("pgbouncer", path=SEARCH)
    if found is None:
        message = "pgbouncer is not installed (Debian: apt-get install pgbouncer)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {message}; .ci/run installs it")
        pytest.skip(message)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def through(url: str, port: int) -> str:
    """`url` with its host and port replaced by the pooler's."""
    parts = urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return parts._replace(netloc=f"{user}127.0.0.1:{port}").geturl()


@contextmanager
def pgbouncer(server_url: str, users: Sequence[str]) -> Iterator[Pooler]:
    """PgBouncer in front of `server_url`'s PostgreSQL, letting `users` in (PostgreSQL
    checks them, trusting 127.0.0.1 as the test server does). Its files
    live in a directory of its own under /tmp, which `nobody` can reach."""
    executable = binary()
    parts = urlsplit(server_url)
    home = Path(tempfile.mkdtemp(prefix="mpo-pgbouncer-"))
    auth, log, ini = home / "users.txt", home / "pgbouncer.log", home / "pgbouncer.ini"
    auth.write_text("".join(f'"{user}" ""\n' for user in users))
    port = _free_port()
    ini.write_text(INI.format(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                              listen=port, auth=auth, log=log))
    command = [executable, str(ini)]
    if os.geteuid() == 0:  # "PgBouncer should not run as root"
        command[1:1] = ["-u", "nobody"]
        home.chmod(0o755)
        log.touch()
        shutil.chown(log, "nobody")
        for path in (auth, ini):
            path.chmod(0o644)
    # Its stderr goes to a file: a pipe nobody reads fills up, and PgBouncer, blocked
    # writing its log to it, stops answering everyone.
    with (home / "stderr.txt").open("wb") as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
    try:
        _wait_for(port, process, home / "stderr.txt")
        yield Pooler(port, log)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen[bytes], errors: Path) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"pgbouncer did not start: {errors.read_text()}") from None
            time.sleep(0.05)

"""`mpo serve` on the command line: a one-line error without the extra, with half a TLS
pair or mutual-TLS options that cannot work (the server itself is tested over a socket in
tests/http)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import MpoRunner


def test_without_the_serve_extra_it_says_what_to_install(
    runner: MpoRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = runner("serve")
    assert result.exit_code == 2
    assert result.stderr == "error: mpo serve needs the serve extra: pip install 'mpo[serve]'\n"


def test_tls_needs_both_the_key_and_the_certificate(runner: MpoRunner) -> None:
    result = runner("serve", "--ssl-keyfile", "key.pem")
    assert result.exit_code == 2
    assert "--ssl-keyfile and --ssl-certfile together" in result.stderr


@pytest.mark.parametrize(("args", "error"), [
    (("--client-certs", "optional"), "--client-certs needs --ssl-ca-certs (the CA that signs "
                                     "them)"),
    (("--ssl-ca-certs", "ca.pem"), "--ssl-ca-certs needs TLS: give --ssl-certfile and "
                                   "--ssl-keyfile"),
    (("--ssl-ca-certs", "ca.pem", "--client-certs", "sometimes"),
     "--client-certs: 'sometimes' is not one of required, optional"),
    (("--ssl-certfile", "s.pem", "--ssl-keyfile", "s.key", "--ssl-ca-certs", "ca.pem"),
     "--ssl-ca-certs: no such file ca.pem"),
])
def test_mutual_tls_options_that_cannot_work_are_refused(
        runner: MpoRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        args: tuple[str, ...], error: str) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("s.pem", "s.key"):
        (tmp_path / name).write_text("")
    result = runner("serve", *args)
    assert result.exit_code == 2
    assert result.stderr == f"error: {error}\n"


def test_the_server_says_where_it_listens_and_help_lists_the_surfaces(
        runner: MpoRunner, initialised: str) -> None:
    """An agent that started it learns the address and the API docs from stderr (issue 21);
    `--help` names every surface."""
    import socket
    import subprocess
    import threading

    from tests.cli.conftest import BIN, environment

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(BIN / "mpo"), "serve", "--port", str(port)],
                              stderr=subprocess.PIPE, text=True,
                              env=environment(MPO_DATABASE_URL=initialised))
    stop = threading.Timer(30, server.terminate)  # never wait for ever on a silent server
    stop.start()
    try:
        assert server.stderr is not None
        first = server.stderr.readline()
    finally:
        stop.cancel()
        server.terminate()
        server.wait(timeout=30)
    where = f"http://127.0.0.1:{port}"
    assert first == (f"listening on {where} (API docs at {where}/api/v1/docs, "
                     f"web pages at {where}/web/)\n")
    shown = " ".join(runner("serve", "--help").stdout.split())
    for surface in ("/api/orchestration/tasks", "/api/v1", "events", "/api/v1/docs",
                    "/healthz", "/metrics", "workflow", "undo"):
        assert surface in shown, surface

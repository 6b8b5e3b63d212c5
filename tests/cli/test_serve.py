"""`mpo serve` on the command line: a one-line error without the extra or with half a TLS
pair (the server itself is tested over a socket in tests/http)."""

from __future__ import annotations

import sys

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

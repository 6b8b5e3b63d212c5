"""Over TLS the session cookie is `Secure`, and a session holds across worker processes
(it lives in the database, not in a worker): `mpo serve --workers 2 --ssl-*` on SQLite."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.http.conftest import _free_port, _populate


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """An HTTPS server with two workers and a self-signed certificate; (url, admin token)."""
    home = tmp_path_factory.mktemp("web-tls")
    key, cert = home / "key.pem", home / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    url = f"sqlite:///{home / 'mpo.db'}"
    tokens = _populate(url)
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")} | {
        "HOME": str(home), "MPO_DATABASE_URL": url,
        "MPO_HTTP_ACCESS_LOG": str(home / "access.log")}
    with (home / "serve.err").open("wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "mpo", "serve", "--port", str(port), "--workers", "2",
             "--ssl-keyfile", str(key), "--ssl-certfile", str(cert)],
            env=environ, stdout=subprocess.DEVNULL, stderr=errors)
    base = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", verify=False, timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError((home / "serve.err").read_text())
        time.sleep(0.1)
    yield base, tokens["ana"]
    process.terminate()
    process.wait(timeout=30)


def test_the_cookie_is_secure_over_tls_and_the_session_holds_on_every_worker(
        tls_server: tuple[str, str]) -> None:
    base, token = tls_server
    with httpx.Client(base_url=base, verify=False) as browser:
        form = browser.get("/web/signin")
        assert "secure" in form.headers["set-cookie"].lower()
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        signed = browser.post("/web/signin", data={"csrf": csrf.group(1), "token": token},
                              headers={"Origin": base})
        assert signed.status_code == 303
        cookie = next(c for c in signed.headers.get_list("set-cookie")
                      if c.startswith("mpo_web="))
        assert {"secure", "httponly", "samesite=strict"} <= {
            part.strip().lower() for part in cookie.split(";")}
        for _ in range(12):  # new connections: the two workers take turns
            with httpx.Client(base_url=base, verify=False, cookies=browser.cookies) as fresh:
                assert fresh.get("/web/queue").status_code == 200

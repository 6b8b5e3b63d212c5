"""Certificates made by `openssl` for mutual-TLS tests, with the lines docs/security.md
shows: a CA, the server's certificate (for 127.0.0.1) and client certificates."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


def _openssl(where: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=where, check=True, capture_output=True)


def authority(where: Path, name: str = "ca") -> None:
    """`name.pem` and `name.key`: a self-signed CA."""
    _openssl(where, "req", "-x509", *EC, "-days", "2", "-subj", f"/CN=mpo test {name}",
             "-keyout", f"{name}.key", "-out", f"{name}.pem")


def issue(where: Path, name: str, ca: str = "ca", *extensions: str) -> None:
    """`name.pem` and `name.key`: a certificate for CN=`name`, signed by `ca`."""
    _openssl(where, "req", *EC, "-subj", f"/CN={name}", *extensions,
             "-keyout", f"{name}.key", "-out", f"{name}.csr")
    _openssl(where, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey",
             f"{ca}.key", "-CAcreateserial", "-days", "2", "-copy_extensions", "copy",
             "-out", f"{name}.pem")


def server(where: Path) -> None:
    """`server.pem` and `server.key`, for https://127.0.0.1."""
    issue(where, "server", "ca", "-addext", "subjectAltName=IP:127.0.0.1")


def fingerprint(where: Path, name: str) -> str:
    """What `openssl x509 -noout -fingerprint -sha256` prints for `name.pem`."""
    done = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
                           f"{name}.pem"], cwd=where, check=True, capture_output=True,
                          text=True)
    return done.stdout.strip()


def context(where: Path, client: str | None) -> ssl.SSLContext:
    """A client's TLS context: trusts the CA, presents `client`'s certificate if given."""
    ctx = ssl.create_default_context(cafile=str(where / "ca.pem"))
    if client is not None:
        ctx.load_cert_chain(where / f"{client}.pem", where / f"{client}.key")
    return ctx

"""Client certificates under `mpo serve --ssl-ca-certs`: the server's TLS options, and the
certificate each request's connection presented, handed to the app as the ASGI TLS
extension (`scope["extensions"]["tls"]["client_cert_chain"]`, PEM) describes it.

uvicorn (0.55) verifies client certificates but does not yet put them in the scope (its
pull requests #1119, #3043, #3132 would), so `Protocol` is uvicorn's own HTTP protocol with
one addition: when a connection is made, its app is wrapped to add the extension to every
request on that connection. When uvicorn offers the extension itself, this module's
protocol can go and `presented` stays as it is.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from mpo.core.domain import certificates

#: `--client-certs` values: what the TLS handshake asks of clients.
CLIENT_CERTS = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL,
                "required": ssl.CERT_REQUIRED}
#: Where `Protocol` puts the connection's TLS details, per the ASGI TLS extension.
EXTENSION = "tls"


def _extension(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    """The ASGI TLS extension of a connection; None over plain HTTP (as the spec says)."""
    tls = transport.get_extra_info("ssl_object")
    if tls is None:
        return None
    der = tls.getpeercert(binary_form=True)
    cipher = tls.cipher()
    return {"server_cert": None, "client_cert_name": None, "client_cert_error": None,
            "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
            "tls_version": tls.version(), "cipher_suite": cipher[0] if cipher else None}


class _WithTLS:
    """An ASGI app that adds one connection's TLS extension to each scope it passes on."""

    def __init__(self, app: Any, tls: dict[str, Any]) -> None:
        self.app, self.tls = app, tls

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        extensions = dict(scope.get("extensions") or {})
        extensions[EXTENSION] = self.tls
        await self.app({**scope, "extensions": extensions}, receive, send)


class Protocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol (httptools, else h11), adding the ASGI TLS extension."""

    app: Any  # the ASGI app uvicorn's protocol calls for each request on this connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        tls = _extension(transport)
        if tls is not None:
            self.app = _WithTLS(self.app, tls)


def presented(scope: Mapping[str, Any]) -> str | None:
    """The fingerprint of the client certificate this request's connection presented."""
    tls = (scope.get("extensions") or {}).get(EXTENSION) or {}
    chain = tls.get("client_cert_chain") or []
    return certificates.of_pem("client certificate", chain[0]) if chain else None

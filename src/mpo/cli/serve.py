"""`mpo serve`: the HTTP API (docs/api.md). FastAPI and uvicorn are imported only here, when
the command runs, so the rest of mpo neither needs nor loads them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mpo.cli.context import current
from mpo.cli.output import message
from mpo.core.domain.errors import UsageError

app = typer.Typer()
#: Without the extra, `mpo serve` stops with this (exit 2: the command cannot run as given).
MISSING_EXTRA = "mpo serve needs the serve extra: pip install 'mpo[serve]'"


@app.command(rich_help_panel="Server")
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind; loopback unless "
                                      "told otherwise (0.0.0.0 for every interface).")
                    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port.")] = 8765,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    ssl_keyfile: Annotated[str | None, typer.Option(
        "--ssl-keyfile", metavar="PATH", help="TLS private key (with --ssl-certfile).")] = None,
    ssl_certfile: Annotated[str | None, typer.Option(
        "--ssl-certfile", metavar="PATH", help="TLS certificate chain.")] = None,
    ssl_ca_certs: Annotated[str | None, typer.Option(
        "--ssl-ca-certs", metavar="PATH", help="CA certificates (PEM) that sign the clients' "
        "certificates: mutual TLS (docs/security.md).")] = None,
    client_certs: Annotated[str | None, typer.Option(
        "--client-certs", metavar="MODE", help="With --ssl-ca-certs: required (default: the "
        "handshake needs a certificate, and every token must be bound to the one it comes "
        "with) or optional (no certificate is fine, e.g. for a load balancer's /healthz; "
        "bound tokens still need theirs).")] = None,
) -> None:
    """Serve the HTTP API (docs/api.md), Bearer tokens as on the command line.

    Surfaces: the seed's /api/orchestration/tasks (create, list, PATCH approve, assign,
    complete); mpo's /api/v1: tasks (create, list, show), tasks/{verb} (submit, approve,
    reject, assign, start, complete, cancel, move, undo), log, events (Server-Sent Events),
    stats, workflow; the OpenAPI docs at /api/v1/docs; /healthz, /readyz, /metrics; /mcp
    (MCP tools over streamable HTTP, with the mcp extra: docs/mcp.md); and the web pages
    for people at /web/ (docs/web.md).

    Example: mpo serve --port 8765   (then: curl -H "Authorization: Bearer $TOKEN"
    http://127.0.0.1:8765/api/v1/tasks)

    Mutual TLS: mpo serve --port 8443 --ssl-certfile server.pem --ssl-keyfile server.key
    --ssl-ca-certs ca.pem --client-certs optional
    """
    if (ssl_keyfile is None) != (ssl_certfile is None):
        raise UsageError("give --ssl-keyfile and --ssl-certfile together")
    mode = _client_certs(ssl_certfile, ssl_ca_certs, client_certs)
    for flag, path in (("--ssl-certfile", ssl_certfile), ("--ssl-keyfile", ssl_keyfile),
                       ("--ssl-ca-certs", ssl_ca_certs)):
        if path is not None and not Path(path).is_file():
            raise UsageError(f"{flag}: no such file {path}")
    try:
        import uvicorn

        import mpo.http.app  # noqa: F401  (fails without fastapi / prometheus-client)
    except ImportError:
        raise UsageError(MISSING_EXTRA) from None
    from mpo.store.engine import require_database

    settings = current().settings
    require_database(settings.database_url)
    from mpo.store.database import SqlDatabase

    # Fail before binding, with one line.
    SqlDatabase(settings.database_url, listen_url=settings.listen_database_url or None).ready()
    scheme = "https" if ssl_certfile else "http"
    where = f"{scheme}://{host}:{port}"
    if port:  # port 0: the system picks one, which only the bound socket knows
        asked = "" if mode == "none" else f"; client certificates {mode}"
        message(f"listening on {where} (API docs at {where}/api/v1/docs, "
                f"web pages at {where}/web/{asked})")
    options = {"host": host, "port": port, "workers": workers, "access_log": False,
               "ssl_keyfile": ssl_keyfile, "ssl_certfile": ssl_certfile,
               "timeout_graceful_shutdown": 30, "log_level": "warning"}
    if ssl_ca_certs is not None:
        from mpo.http.tls import CLIENT_CERTS, Protocol

        options |= {"ssl_ca_certs": ssl_ca_certs, "ssl_cert_reqs": CLIENT_CERTS[mode],
                    "http": Protocol}
    if workers > 1:
        # Each worker process builds its own app and connection pool from the environment,
        # which carries what the flags chose.
        import os

        from mpo.config import env

        os.environ[env.DATABASE_URL] = settings.database_url
        os.environ[env.PROFILE] = settings.profile
        factory = "bound_app" if mode == "required" else "app"
        uvicorn.run(f"mpo.http.worker:{factory}", factory=True,
                    **options)  # type: ignore[arg-type]
    else:
        from mpo.http.app import create_app

        uvicorn.run(create_app(settings, client_certs=mode), **options)  # type: ignore[arg-type]


def _client_certs(certfile: str | None, ca_certs: str | None, given: str | None) -> str:
    """What the server asks of clients: "none" without --ssl-ca-certs, else `given`
    (default "required"); a one-line refusal for what cannot work."""
    if given is not None and given not in ("required", "optional"):
        raise UsageError(f"--client-certs: {given!r} is not one of required, optional")
    if ca_certs is None:
        if given is not None:
            raise UsageError("--client-certs needs --ssl-ca-certs (the CA that signs them)")
        return "none"
    if certfile is None:
        raise UsageError("--ssl-ca-certs needs TLS: give --ssl-certfile and --ssl-keyfile")
    return given or "required"

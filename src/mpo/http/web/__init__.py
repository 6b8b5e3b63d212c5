"""The web pages of `mpo serve` for people (issue 23; docs/web.md): server-rendered HTML
over the same use cases as the CLI and /api/v1, signed in with a browser session.

Imported only by the application factory, so jinja2 loads only when serving.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    """Add the pages, their event stream and their static files to `app`."""
    from mpo.http.web import dashboard, events, queue, signin, task, work

    for module in (signin, queue, events, task, work, dashboard):
        app.include_router(module.router)
    app.mount("/web/static", StaticFiles(directory=STATIC), name="web-static")

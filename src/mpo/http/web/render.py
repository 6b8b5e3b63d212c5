"""HTML responses: Jinja2 templates with autoescape on (every task field is text, whatever
it holds), and the headers every page carries (a CSP with no inline script, no framing)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
       "frame-ancestors 'none'")
#: How a missing number shows (an en dash).
NONE = "\u2013"
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "Cache-Control": "no-store"}


@cache
def environment() -> Environment:
    """The template environment, made once per process."""
    from mpo import __version__

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(
        ("html",), default=True), trim_blocks=True, lstrip_blocks=True)
    env.globals["version"] = __version__
    env.filters["hours"] = lambda h: NONE if h is None else f"{h:g} h"
    env.filters["short"] = lambda v: str(v)[:8]
    env.filters["when"] = lambda d: NONE if d is None else d.strftime("%Y-%m-%d %H:%M")
    env.filters["pct"] = lambda v: NONE if v is None else f"{v:.0%}"
    return env


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A template rendered as a page, with the security headers."""
    html = environment().get_template(template).render(request=request, **context)
    return HTMLResponse(html, status, headers=HEADERS)


def redirect(url: str) -> RedirectResponse:
    """Back to a page after a form (303: the browser follows with GET)."""
    return RedirectResponse(url, 303, headers=HEADERS)

"""Signing in and out: a pasted token or a one-time link becomes a session cookie.

The token travels once, in the body of a POST, and is never echoed, logged or put in a URL;
a link's code sits in the URL's fragment (`#link=...`), which browsers never send: the
page's script moves it into the form and wipes it from the address bar.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from mpo.core.usecases.web_sessions import redeem, sign_in, sign_out
from mpo.http.deps import State
from mpo.http.web import csrf, sessions
from mpo.http.web.render import page, redirect

router = APIRouter(prefix="/web", include_in_schema=False)


@router.get("/")
async def home() -> Response:
    """The queue is the start page (it sends those who may not decide elsewhere)."""
    return redirect("/web/queue")


@router.get("/signin")
async def form(request: Request) -> Response:
    """The sign-in form, with a fresh double-submitted CSRF token."""
    token = csrf.fresh()
    response = page(request, "signin.html", csrf=token, person=None)
    response.set_cookie(csrf.PRE_COOKIE, token, max_age=3600, path="/web/signin",
                        httponly=True, samesite="strict", secure=sessions.secure(request))
    return response


@router.post("/signin")
async def submit(request: Request, state: State) -> Response:
    """Open a session from a pasted token or a one-time link's code."""
    fields = await csrf.form(request)
    csrf.check(request, fields, request.cookies.get(csrf.PRE_COOKIE))
    code, token = csrf.one(fields, "link"), csrf.one(fields, "token")
    if code is not None:
        opened = await run_in_threadpool(redeem, state.database, code)
    elif token is not None:
        opened = await run_in_threadpool(sign_in, state.database.acting(token), token)
    else:
        return page(request, "signin.html", 422, csrf=csrf.one(fields, "csrf"), person=None,
                    message="token: paste your mpo token (or use a sign-in link)")
    response = redirect("/web/")
    sessions.set_cookie(request, response, opened)
    response.delete_cookie(csrf.PRE_COOKIE, path="/web/signin")
    return response


@router.post("/signout")
async def signout(request: Request, who: sessions.Signed) -> Response:
    """End this browser's session."""
    csrf.check(request, await csrf.form(request), who.csrf)
    await run_in_threadpool(sign_out, who.db, who.secret)
    response = redirect("/web/signin")
    sessions.clear_cookie(request, response)
    return response

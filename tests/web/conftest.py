"""The web pages in a real browser: Debian's chromium, headless, driven by Playwright,
against a real `mpo serve` (tests/http's) on SQLite and on PostgreSQL as an mpo_app login.
One browser per module; each test opens its own contexts (one per person)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.http.conftest import Served, _postgres, create_body, sqlite

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server on each database, for this module."""
    home = tmp_path_factory.mktemp(f"web-{request.param}")
    yield from (sqlite(home) if request.param == "sqlite" else _postgres(home))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless chromium for the module (never a downloaded browser)."""
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("CI=true but chromium is missing (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, headless=True,
                                     args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Browser contexts a test opens (each a person's browser), closed after it."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def signed_in(browser: Browser, opened: list[BrowserContext], served: Served, who: str,
              width: int = 1440) -> Page:
    """A page in a new browser, signed in with `who`'s pasted token."""
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  base_url=served.url)
    opened.append(context)
    page = context.new_page()
    page.goto("/web/signin")
    page.fill("#token", served.tokens[who])
    page.click("#signin button[type=submit]")
    page.wait_for_url("**/web/queue**")
    return page


def propose(served: Served, title: str, *, submit: bool = True, **fields: Any) -> str:
    """A task created (and submitted) by the amazon agent over HTTP; its id."""
    agent = served.client("marketplace-amazon")
    made = agent.post("/api/v1/tasks", json=create_body(title=title, **fields))
    assert made.status_code == 201, made.text
    task_id = str(made.json()["id"])
    if submit:
        done = agent.post("/api/v1/tasks/submit", json={"ids": [task_id]})
        assert done.status_code == 200, done.text
    return task_id


def status_of(served: Served, task_id: str) -> dict[str, Any]:
    """The task as the API shows it to an admin."""
    shown = served.client("ana").get(f"/api/v1/tasks/{task_id}")
    assert shown.status_code == 200, shown.text
    body: dict[str, Any] = shown.json()
    return body


def tag() -> str:
    """A word no other test's tasks hold, to filter the shared queue by."""
    return f"t{uuid.uuid4().hex[:10]}"


def csrf_of(page: Page) -> str:
    """The page's CSRF token (every signed-in page has the sign-out form)."""
    return str(page.locator(".signout input[name=csrf]").input_value())

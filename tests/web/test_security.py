"""The web pages' defences in chromium (issue 23): roles, CSRF, escaping, sessions that end."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from playwright.sync_api import expect

from mpo.core.domain.validation import Rules
from mpo.core.usecases.identity import add_principal, authenticate, revoke_principal
from mpo.core.usecases.subtasks import Step, add_subtask, take_step
from mpo.core.usecases.web_sessions import web_link
from tests.http.conftest import Served
from tests.web.conftest import csrf_of, propose, signed_in, status_of, tag

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

LIVE_WAIT_MS = 10_000
HOSTILE = "<script>window.pwned=1</script>\"quoted' & <b>bold</b> \u202eRTL\u202c"


def _root(served: Served):  # type: ignore[no-untyped-def]
    db = served.db().acting(served.tokens["root"])
    return db, authenticate(db, served.tokens["root"])


def test_a_viewer_reads_but_every_form_is_refused(
        served: Served, browser: Browser, contexts: list[BrowserContext]) -> None:
    task_id = propose(served, f"{tag()} for the viewer")
    approved = propose(served, f"{tag()} approved")
    served.client("ana").post("/api/v1/tasks/approve", json={"ids": [approved]})
    db, root = _root(served)
    step = add_subtask(db, root, approved, "analysis", "a step")
    take_step(db, root, Step.START, str(step.id))
    take_step(db, root, Step.SUBMIT, str(step.id), data={"ok": True})
    page = signed_in(browser, contexts, served, "vic")
    expect(page.locator("tr.row").first).to_be_visible()  # viewers read the queue
    expect(page.locator("#approve")).to_have_count(0)
    expect(page.locator("input[name=task]")).to_have_count(0)
    token = csrf_of(page)
    forms = {
        "/web/queue/decide": {"task": task_id, "action": "approve"},
        "/web/queue/undo": {"batch": "00000000-0000-0000-0000-000000000000"},
        f"/web/tasks/{approved}/assign": {"to": "bea"},
        f"/web/tasks/{task_id}/cancel": {"reason_code": "duplicate"},
        f"/web/tasks/{approved}/checkpoint/{step.id}": {},
        f"/web/work/{approved}/start": {},
        f"/web/work/{approved}/complete": {"actual_hours": "1"},
    }
    for path, fields in forms.items():
        answer = page.request.post(path, form={"csrf": token, **fields})
        assert answer.status == 403, (path, answer.status, answer.text()[:300])
    assert status_of(served, task_id)["status"] == "awaiting_approval"
    assert status_of(served, approved)["status"] == "approved"


def test_a_hostile_title_renders_as_text(served: Served, browser: Browser,
                                         contexts: list[BrowserContext]) -> None:
    word = tag()
    task_id = propose(served, f"{word} {HOSTILE}", description=HOSTILE)
    page = signed_in(browser, contexts, served, "ana")
    answer = page.goto(f"/web/queue?q={word}")
    assert answer is not None
    csp = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    expect(page.locator("tr.row .text")).to_have_text(f"{word} {HOSTILE}")
    page.goto(f"/web/tasks/{task_id}")
    expect(page.locator("#task-title")).to_have_text(f"{word} {HOSTILE}")
    expect(page.locator("pre.description")).to_have_text(HOSTILE)
    assert page.locator("b", has_text="bold").count() == 0
    assert page.evaluate("window.pwned") is None


def test_a_forged_cross_site_post_is_refused(served: Served, browser: Browser,
                                             contexts: list[BrowserContext]) -> None:
    task_id = propose(served, f"{tag()} target")
    page = signed_in(browser, contexts, served, "ana")
    token = csrf_of(page)
    decide = {"task": task_id, "action": "approve"}
    for form in (decide, decide | {"csrf": "0" * 64}):
        assert page.request.post("/web/queue/decide", form=form).status == 403
    other_site = page.request.post("/web/queue/decide", form=decide | {"csrf": token},
                                   headers={"Origin": "https://evil.example"})
    assert other_site.status == 403
    # A form on another site posting to mpo: the SameSite=Strict cookie stays home.
    forged = page.context.new_page()
    forged.goto("about:blank")
    forged.set_content(f'<form method="post" action="{served.url}/web/queue/decide">'
                       f'<input name="task" value="{task_id}"><input name="action" '
                       'value="approve"></form>')
    with forged.expect_navigation() as landed:
        forged.evaluate("document.forms[0].submit()")
    assert landed.value is not None and landed.value.status in (401, 403)
    assert status_of(served, task_id)["status"] == "awaiting_approval"


def test_a_revoked_principals_session_ends_on_its_next_request(
        served: Served, browser: Browser, contexts: list[BrowserContext]) -> None:
    db, root = _root(served)
    name = f"kim-{tag()}"
    served.tokens[name] = add_principal(db, root, name, "member", None, Rules()).token
    page = signed_in(browser, contexts, served, name)
    page.goto("/web/work")
    expect(page.locator("h1")).to_have_text("My work")
    revoke_principal(db, root, name)
    page.goto("/web/work")
    expect(page).to_have_url(f"{served.url}/web/signin")


def test_a_link_signs_in_once_and_signing_out_ends_the_session(
        served: Served, browser: Browser, contexts: list[BrowserContext]) -> None:
    db, root = _root(served)
    code = web_link(db, root, "bea").secret
    context = browser.new_context(base_url=served.url)
    contexts.append(context)
    page = context.new_page()
    page.goto(f"/web/signin#link={code}")
    page.wait_for_url("**/web/queue**")
    expect(page.locator(".who")).to_contain_text("bea")
    cookie = next(c for c in context.cookies() if c["name"] == "mpo_web")
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    as_bearer = httpx.get(f"{served.url}/api/v1/tasks",
                          headers={"Authorization": f"Bearer {cookie['value']}"})
    assert as_bearer.status_code == 401  # a session is no API token
    page.click(".signout button")
    expect(page).to_have_url(f"{served.url}/web/signin")
    context.add_cookies([cookie])  # the old session, replayed after signing out
    page.goto("/web/queue")
    expect(page).to_have_url(f"{served.url}/web/signin")
    page.goto(f"/web/signin#link={code}")  # the link worked once
    expect(page.locator(".error")).to_contain_text("not valid")
    logged = served.log.read_text()
    assert code not in logged and cookie["value"] not in logged
    assert not any(token in logged for token in served.tokens.values())


def test_a_new_proposal_appears_in_an_open_queue(
        served: Served, browser: Browser, contexts: list[BrowserContext]) -> None:
    word = tag()
    page = signed_in(browser, contexts, served, "ana")
    page.goto(f"/web/queue?q={word}")
    expect(page.locator(".empty")).to_be_visible()
    page.wait_for_timeout(300)  # the event stream is open before the proposal is made
    propose(served, f"{word} arrives live")
    expect(page.locator("tr.row .text")).to_have_text(f"{word} arrives live",
                                                      timeout=LIVE_WAIT_MS)


def test_agents_and_wrong_tokens_get_no_session(served: Served, browser: Browser,
                                                contexts: list[BrowserContext]) -> None:
    context = browser.new_context(base_url=served.url)
    contexts.append(context)
    page = context.new_page()
    for token, why in ((served.tokens["marketplace-amazon"], "agents have no web pages"),
                       ("mpo_not-a-token", "not valid")):
        page.goto("/web/signin")
        page.fill("#token", token)
        page.click("#signin button[type=submit]")
        expect(page.locator(".error")).to_contain_text(why)
        assert token not in page.content()
        assert not [c for c in context.cookies() if c["name"] == "mpo_web"]

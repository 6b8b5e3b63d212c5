"""The web pages' flows in chromium (issue 23), on SQLite and on PostgreSQL (mpo_app)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import expect

from mpo.core.usecases.identity import authenticate
from mpo.core.usecases.subtasks import Step, add_subtask, take_step
from tests.http.conftest import Served
from tests.web.conftest import propose, signed_in, status_of, tag

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

#: How long the live queue may take to show a new proposal before the test fails: the page
#: refreshes about 150 ms after the event; the margin is for a loaded CI machine.
LIVE_WAIT_MS = 10_000


def test_an_admin_approves_two_rejects_one_and_undoes_from_the_queue(
        served: Served, browser: Browser, contexts: list[BrowserContext]) -> None:
    word = tag()
    ids = [propose(served, f"{word} listing {n}") for n in range(3)]
    page = signed_in(browser, contexts, served, "ana")
    page.goto(f"/web/queue?q={word}")
    expect(page.locator("tr.row")).to_have_count(3)
    page.fill("#note", "fits the spring plan")  # an approval's note
    page.keyboard.press("Escape")
    page.keyboard.press(" ")  # mark the first, move to the second
    page.keyboard.press(" ")
    page.keyboard.press("a")  # approve the two marked, as `mpo review` does
    expect(page.locator("#notice")).to_contain_text("approved 2 tasks")
    assert [status_of(served, i)["status"] for i in ids[:2]] == ["approved", "approved"]
    approval = status_of(served, ids[0])["history"][-1]
    assert (approval["action"], approval["reason"]) == ("approve", "fits the spring plan")
    page.goto(f"/web/queue?q={word}")
    page.check(f"input[value='{ids[2]}']")
    page.select_option("#reason_code", "duplicate")
    page.fill("#note", "same as last week's")
    page.click("#reject")
    expect(page.locator("#notice")).to_contain_text("rejected 1 task")
    rejected = status_of(served, ids[2])
    assert (rejected["status"], rejected["rejection_code"]) == ("rejected", "duplicate")
    page.keyboard.press("u")  # undo the last decision
    expect(page.locator("#notice")).to_contain_text("undone 1 task")
    assert status_of(served, ids[2])["status"] == "awaiting_approval"


def test_a_decision_is_all_or_nothing(served: Served, browser: Browser,
                                      contexts: list[BrowserContext]) -> None:
    word = tag()
    ids = [propose(served, f"{word} batch {n}") for n in range(2)]
    page = signed_in(browser, contexts, served, "ana")
    page.goto(f"/web/queue?q={word}")
    page.check(f"input[value='{ids[0]}']")
    page.check(f"input[value='{ids[1]}']")
    served.client("ana").post("/api/v1/tasks/approve", json={"ids": [ids[1]]})
    page.click("#approve")
    expect(page.locator(".error")).to_be_visible()
    assert status_of(served, ids[0])["status"] == "awaiting_approval"


def test_an_admin_assigns_and_a_member_starts_and_completes(
        served: Served, browser: Browser, contexts: list[BrowserContext]) -> None:
    word = tag()
    first, second = (propose(served, f"{word} work {n}") for n in range(2))
    served.client("ana").post("/api/v1/tasks/approve", json={"ids": [first, second]})
    admin = signed_in(browser, contexts, served, "ana")
    admin.goto(f"/web/tasks/{first}")
    admin.fill("#to", "bea")
    admin.click("#assign button")
    expect(admin.locator("dl.fields")).to_contain_text("in_progress")
    member = signed_in(browser, contexts, served, "bea", width=375)
    member.goto("/web/work")
    member.locator(f"form[action='/web/work/{second}/start'] button").click()
    expect(member.locator(".notice")).to_contain_text("started")
    member.fill(f"#h-{first}", "3.5")
    member.locator(f"form[action='/web/work/{first}/complete'] input[name=note]").fill("done")
    member.locator(f"form[action='/web/work/{first}/complete'] button").click()
    expect(member.locator(".notice")).to_contain_text("completed")
    done = status_of(served, first)
    assert (done["status"], done["actual_hours"], done["assigned_to"]) == \
        ("completed", 3.5, "bea")
    assert status_of(served, second)["assigned_to"] == "bea"


def test_a_checkpoint_is_approved_on_the_task_page(
        served: Served, browser: Browser, contexts: list[BrowserContext]) -> None:
    task_id = propose(served, f"{tag()} with steps")
    served.client("ana").post("/api/v1/tasks/approve", json={"ids": [task_id]})
    db = served.db().acting(served.tokens["root"])
    root = authenticate(db, served.tokens["root"])
    step = add_subtask(db, root, task_id, "analysis", "Check the draft")
    take_step(db, root, Step.START, str(step.id))
    take_step(db, root, Step.SUBMIT, str(step.id), data={"draft": "v1"})
    page = signed_in(browser, contexts, served, "ana")
    page.goto(f"/web/tasks/{task_id}")
    page.click("text=Approve checkpoint")
    expect(page.locator("table.tasks").first).to_contain_text("completed")
    expect(page.locator("table.tasks").last).to_contain_text("checkpoint_approve")

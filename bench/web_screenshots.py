"""Screenshots of the web pages for docs/web.md, and the queue's timing with 200 proposals.

Starts `mpo serve` on a new SQLite database in a temporary directory, fills it with a small
marketplace (agents' proposals, decisions, work done, a checkpoint waiting), signs in with
Debian's chromium (headless, /usr/bin/chromium) and saves each page at 1440 and 375 px wide
to docs/img/web-PAGE-WIDTH.png. Then it times clearing 200 proposals from the queue page
(select all shown, approve) and prints the figures; asserts nothing.

    python bench/web_screenshots.py            # screenshots and the 200-proposal timing
    python bench/web_screenshots.py --no-bench
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from mpo.core.domain.validation import Rules
from mpo.core.usecases.identity import add_principal, authenticate, bootstrap_admin
from mpo.core.usecases.subtasks import Step, add_subtask, take_step
from mpo.store.database import SqlDatabase
from mpo.store.migrate import upgrade

DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"
WIDTHS = (1440, 375)
TITLES = ("Rewrite GEO titles for the spring range", "Fix missing EAN codes on 40 listings",
          "Translate bullet points to Spanish", "Compress hero images above 2 MB",
          "Add size charts to footwear", "Refresh A+ content for kitchen knives")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def populate(url: str) -> dict[str, str]:
    """Principals and their tokens."""
    upgrade(url)
    db = SqlDatabase(url)
    root = bootstrap_admin(db, "ana")
    assert root is not None
    admin = authenticate(db, root)
    tokens = {"ana": root}
    for name, role, market in (("marketplace-amazon", "agent", "amazon"),
                               ("marketplace-shopee", "agent", "shopee"),
                               ("bea", "member", None), ("vic", "viewer", None)):
        tokens[name] = add_principal(db, admin, name, role, market, Rules()).token
    return tokens


def propose(client: httpx.Client, market: str, title: str, hours: float) -> str:
    made = client.post("/api/v1/tasks", json={
        "marketplace": market, "title": title, "category": "optimization",
        "priority": "high" if hours > 4 else "medium", "estimated_hours": hours})
    made.raise_for_status()
    task_id = str(made.json()["id"])
    client.post("/api/v1/tasks/submit", json={"ids": [task_id]}).raise_for_status()
    return task_id


def story(url: str, tokens: dict[str, str], db_url: str) -> str:
    """A day of a small marketplace; returns the id of a task worth a screenshot."""
    def client(who: str) -> httpx.Client:
        return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {tokens[who]}"})

    agents = {"amazon": client("marketplace-amazon"), "shopee": client("marketplace-shopee")}
    admin, member = client("ana"), client("bea")
    done = [propose(agents["amazon"], "amazon", f"{t} (batch {n})", 2 + n) for n in range(3)
            for t in TITLES[:2]]
    admin.post("/api/v1/tasks/approve", json={"ids": done}).raise_for_status()
    for n, task_id in enumerate(done):
        admin.post("/api/v1/tasks/assign", json={"ids": [task_id], "to": "bea"})
        member.post("/api/v1/tasks/complete", json={"ids": [task_id],
                                                    "actual_hours": 3 + n})
    shown = propose(agents["shopee"], "shopee", TITLES[2], 6)
    rejected = propose(agents["shopee"], "shopee", "Duplicate: translate bullet points", 6)
    admin.post("/api/v1/tasks/reject", json={"ids": [rejected], "reason_code": "duplicate"})
    admin.post("/api/v1/tasks/approve", json={"ids": [shown]}).raise_for_status()
    db = SqlDatabase(db_url)
    root = authenticate(db, tokens["ana"])
    step = add_subtask(db, root, shown, "analysis", "Check the Spanish glossary")
    take_step(db, root, Step.START, str(step.id))
    take_step(db, root, Step.SUBMIT, str(step.id), data={"terms": 42})
    add_subtask(db, root, shown, "content_generation", "Write the bullet points")
    for n, title in enumerate(TITLES[2:] * 2):
        market = "amazon" if n % 2 else "shopee"
        propose(agents[market], market, title, 1 + n)
    working = propose(agents["amazon"], "amazon", "Audit return reasons for headphones", 5)
    admin.post("/api/v1/tasks/approve", json={"ids": [working]}).raise_for_status()
    admin.post("/api/v1/tasks/assign", json={"ids": [working], "to": "bea"})
    propose(agents["amazon"], "amazon", "Add gift-wrap option to bundles", 2)
    admin.post("/api/v1/tasks/approve", json={"ids": [propose(
        agents["amazon"], "amazon", "Reshoot product photos for mugs", 8)]}).raise_for_status()
    return shown


def screenshots(url: str, tokens: dict[str, str], task_id: str) -> None:
    from playwright.sync_api import sync_playwright

    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    pages = {"signin": ("", "/web/signin"), "queue": ("ana", "/web/queue"),
             "task": ("ana", f"/web/tasks/{task_id}"), "work": ("bea", "/web/work"),
             "dashboard": ("ana", "/web/dashboard?days=7")}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        for width in WIDTHS:
            for name, (who, path) in pages.items():
                context = browser.new_context(viewport={"width": width, "height": 900},
                                              base_url=url)
                page = context.new_page()
                if who:
                    page.goto("/web/signin")
                    page.fill("#token", tokens[who])
                    page.click("#signin button[type=submit]")
                    page.wait_for_url("**/web/queue**")
                page.goto(path)
                page.screenshot(path=str(DOCS_IMG / f"web-{name}-{width}.png"),
                                full_page=width == 1440)
                context.close()
        browser.close()


def bench(url: str, tokens: dict[str, str], log: Path) -> None:
    """200 proposals: load the queue, select them all, approve; the time of each step."""
    from playwright.sync_api import sync_playwright

    agent = httpx.Client(base_url=url,
                         headers={"Authorization": f"Bearer {tokens['marketplace-amazon']}"})
    for n in range(200):
        propose(agent, "amazon", f"bulk proposal {n}", 1 + n % 5)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        page = browser.new_page(base_url=url)
        page.goto("/web/signin")
        page.fill("#token", tokens["ana"])
        page.click("#signin button[type=submit]")
        started = time.perf_counter()
        page.goto("/web/queue?q=bulk")
        loaded = time.perf_counter()
        page.eval_on_selector_all("input[name=task]", "bs => bs.forEach(b => b.checked = true)")
        page.click("#approve")
        page.wait_for_selector("#notice")
        decided = time.perf_counter()
        print(f"queue of {page.locator('#notice').inner_text().split()[1]} approved: "
              f"page load {1000 * (loaded - started):.0f} ms, approve all and reload "
              f"{1000 * (decided - loaded):.0f} ms")
        browser.close()
    served = [json.loads(line) for line in log.read_text().splitlines()]
    timed = [f"{e['method']} {e['path']} {e['ms']:.0f} ms" for e in served[-4:]
             if e["path"].startswith("/web/queue")]
    print("server time: " + ", ".join(timed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-bench", action="store_true", help="screenshots only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        db_url = f"sqlite:///{home}/mpo.db"
        tokens = populate(db_url)
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")} | {
            "HOME": home, "MPO_DATABASE_URL": db_url, "MPO_HTTP_ACCESS_LOG": f"{home}/log"}
        server = subprocess.Popen([sys.executable, "-m", "mpo", "serve", "--port", str(port)],
                                  env=env, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if httpx.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            task_id = story(url, tokens, db_url)
            screenshots(url, tokens, task_id)
            if not args.no_bench:
                bench(url, tokens, Path(home) / "log")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

"""Three `mpo serve` processes on one PostgreSQL, through a real PgBouncer in transaction
mode, behave as one (issue 25): rate limits exact across them, `mpo tick` and `mpo deliver`
run by every server's cron making each period and sending each event once, a change on one
server streamed by another within a second, sessions and idempotency keys shared.

The servers connect as an `mpo_app` login through the pooler (`MPO_DATABASE_URL`) and
LISTEN on PostgreSQL itself (`MPO_LISTEN_DATABASE_URL`); so do the cron commands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from mpo.auth import secrets
from mpo.store.database import SqlDatabase
from tests import readback
from tests.conftest import MpoRunner
from tests.http.conftest import Served, _populate, start, stop
from tests.pg_app import app_login, module_database
from tests.pgbouncer import Pooler, pgbouncer, through

V1 = "/api/v1"
#: Exact across the servers: the audit log counts, under a lock per principal.
RATE = 20
TASK = {"marketplace": "amazon", "title": "Served by three", "category": "optimization",
        "estimated_hours": 2}
#: Waits for the go file, then runs one `mpo` command in-process: all start together.
TOGETHER = """
import sys, time
from pathlib import Path
from mpo.cli.app import main
while not Path(sys.argv[1]).exists():
    time.sleep(0.01)
main(sys.argv[2:])
"""


@dataclass
class Cluster:
    """Three servers on one database; the URLs they use, the owner's, and the pooler."""

    servers: list[Served]
    pooled: str
    direct: str
    owner: str
    pooler: Pooler

    def env(self, who: str = "root") -> dict[str, str]:
        """What a cron job on one of the servers' machines runs with."""
        return {"MPO_DATABASE_URL": self.pooled, "MPO_LISTEN_DATABASE_URL": self.direct,
                "MPO_TOKEN": self.servers[0].tokens[who], "MPO_DEBUG": ""}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with module_database() as owner:
        tokens = _populate(owner)
        with app_login(owner) as direct, \
                pgbouncer(owner, [direct.split("://", 1)[1].split("@", 1)[0]]) as pooler:
            pooled = through(direct, pooler.port)
            servers: list[Served] = []
            try:
                for n in range(3):
                    servers.append(start(
                        pooled, owner, tokens, tmp_path_factory.mktemp(f"server-{n}"),
                        "postgres", MPO_LISTEN_DATABASE_URL=direct,
                        MPO_RATE_LIMITS=f"marketplace-kaway={RATE}/hour"))
                yield Cluster(servers, pooled, direct, owner, pooler)
            finally:
                for served in servers:
                    try:
                        stop(served)
                    except subprocess.TimeoutExpired:  # a stream a failed test left open
                        served.process.kill()
                        served.process.wait()


def _together(cluster: Cluster, tmp_path: Path, *argv: str) -> list[tuple[int, str, str]]:
    """`mpo ARGV` in three processes started at once; (exit code, stdout, stderr) each."""
    go = tmp_path / f"go-{uuid.uuid4().hex}"
    env = os.environ | cluster.env()
    runs = [subprocess.Popen([sys.executable, "-c", TOGETHER, str(go), *argv], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in cluster.servers]
    go.touch()
    return [(run.wait(timeout=120), *run.communicate()) for run in runs]


def _threads(work: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=job) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_the_servers_reach_postgresql_through_the_pooler(cluster: Cluster) -> None:
    for served in cluster.servers:
        assert served.client("ana").get("/readyz").status_code == 200
    role = cluster.direct.split("://", 1)[1].split("@", 1)[0]
    assert cluster.pooler.logins(role) >= 3, cluster.pooler.log.read_text()[-2000:]


def test_statements_through_the_pooler_are_never_prepared(cluster: Cluster) -> None:
    db = SqlDatabase.shared(cluster.pooled, listen_url=cluster.direct)
    pooled = db.acting(cluster.servers[0].tokens["ana"])
    failures: list[BaseException] = []

    def reads() -> None:
        try:
            for _ in range(30):  # psycopg would prepare a statement from its 5th run
                with pooled.read() as uow:
                    raw = uow.session.connection().connection.driver_connection
                    assert raw is not None and raw.prepare_threshold is None
                    assert uow.principals.by_name("ana") is not None
        except BaseException as exc:
            failures.append(exc)

    try:
        _threads([reads for _ in range(6)])
    finally:
        db.engine.dispose()
    assert failures == []


def test_no_authentication_outlives_its_transaction_through_the_pooler(cluster: Cluster
                                                                       ) -> None:
    """`mpo_authenticate` sets who acts for its transaction only: a server connection the
    pooler hands to the next transaction carries nobody, and row-level security shows that
    transaction nothing."""
    made = cluster.servers[0].client("marketplace-amazon").post(f"{V1}/tasks", json=TASK)
    assert made.status_code == 201, made.text
    db = SqlDatabase.shared(cluster.pooled, listen_url=cluster.direct)
    ana = db.acting(cluster.servers[0].tokens["ana"])
    probe = text("SELECT current_setting('mpo.principal', true), (SELECT count(*) FROM task)")
    seen: list[tuple[Any, ...]] = []

    def alternate() -> None:
        for _ in range(20):
            with ana.read() as uow:
                seen.append(("ana", *uow.session.execute(probe).one()))
            with db.read() as uow:
                seen.append(("nobody", *uow.session.execute(probe).one()))

    try:
        _threads([alternate for _ in range(4)])
    finally:
        db.engine.dispose()
    assert {row[1] for row in seen if row[0] == "ana"} == {"ana"}
    assert min(row[2] for row in seen if row[0] == "ana") >= 1
    assert {row[1:] for row in seen if row[0] == "nobody"} <= {(None, 0), ("", 0)}
    assert len(seen) == 160


def test_a_rate_limit_is_exact_across_the_servers(cluster: Cluster) -> None:
    statuses: list[int] = []

    def send(served: Served) -> Callable[[], None]:
        def job() -> None:
            with httpx.Client(base_url=served.url, timeout=60, headers={
                    "Authorization": f"Bearer {served.tokens['marketplace-kaway']}"}) as c:
                for _ in range(5):
                    made = c.post(f"{V1}/tasks", json=TASK | {"marketplace": "kaway"})
                    statuses.append(made.status_code)
        return job

    _threads([send(served) for served in cluster.servers for _ in range(3)])  # 45 creates
    assert Counter(statuses) == {201: RATE, 429: 45 - RATE}
    made = [t for t in readback.tasks(cluster.owner).values()
            if t["created_by"] == "marketplace-kaway"]
    assert len(made) == RATE


def test_a_retry_on_another_server_replays_the_first_answer(cluster: Cluster) -> None:
    key = {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    a, b, c = (s.client("marketplace-amazon") for s in cluster.servers)
    first = a.post(f"{V1}/tasks", json=TASK, headers=key)
    again = b.post(f"{V1}/tasks", json=TASK, headers=key)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["created"] is False
    assert c.post(f"{V1}/tasks", json=TASK | {"title": "other"}, headers=key
                  ).status_code == 409
    tasks = [str(a.post(f"{V1}/tasks", json=TASK).json()["id"]) for _ in range(3)]
    assert cluster.servers[2].client("ana").post(
        f"{V1}/tasks/submit", json={"ids": tasks}).status_code == 200
    # One approval sent twice to each server at once: applied once, the others replay it.
    key, answers = {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}, []

    def send(served: Served) -> Callable[[], None]:
        def job() -> None:
            with httpx.Client(base_url=served.url, timeout=60, headers={
                    "Authorization": f"Bearer {served.tokens['ana']}", **key}) as client:
                answers.append(client.post(f"{V1}/tasks/approve", json={"ids": tasks}))
        return job

    _threads([send(served) for served in cluster.servers for _ in range(2)])
    assert [r.status_code for r in answers] == [200] * 6, [r.text for r in answers]
    assert len({r.json()["batch_id"] for r in answers}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in answers) == 1
    approvals = [e for e in readback.events(cluster.owner)
                 if e["task_id"] in tasks and e["action"] == "approve"]
    assert len(approvals) == 3


def test_a_web_session_opened_on_one_server_works_on_another(cluster: Cluster) -> None:
    a, b = cluster.servers[0], cluster.servers[1]
    with httpx.Client(base_url=a.url, timeout=30) as browser:
        form = browser.get("/web/signin")
        csrf = form.cookies["mpo_web_csrf"]
        signed = browser.post("/web/signin", data={"csrf": csrf, "token": a.tokens["ana"]})
        assert signed.status_code == 303, signed.text
        cookie = signed.cookies["mpo_web"]
    with httpx.Client(base_url=b.url, timeout=30, cookies={"mpo_web": cookie}) as browser:
        queue_page = browser.get("/web/queue")
        assert queue_page.status_code == 200 and "ana" in queue_page.text


def test_a_change_on_one_server_streams_from_another(cluster: Cluster) -> None:
    """Read in the thread that writes: an event's time is when it was read, no earlier
    than when it arrived, and leaving closes the stream (no wait for a keep-alive)."""
    a, b = cluster.servers[0], cluster.servers[1]
    headers = {"Authorization": f"Bearer {a.tokens['ana']}"}
    delays = []
    with httpx.Client(base_url=a.url, timeout=30, headers=headers) as client, \
            client.stream("GET", f"{V1}/events", params={"idle": 30}) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("retry:")
        time.sleep(0.3)  # the stream has read up to now and waits on its LISTEN
        # A NOTIFY (or the horizon's look each second) wakes it, not its keep-alive (every
        # 30 s). How fast is a timing: bench/events.py measures the wait's wake-up.
        for _ in range(5):
            sent = time.monotonic()
            made = b.client("marketplace-amazon").post(f"{V1}/tasks", json=TASK)
            assert made.status_code == 201, made.text
            for line in lines:
                if line.startswith("data: ") and \
                        json.loads(line[6:])["data"]["task_id"] == made.json()["id"]:
                    break
                assert time.monotonic() - sent < 10, "the event never came"
            else:
                pytest.fail("the stream ended")
            delays.append(time.monotonic() - sent)
    assert max(delays) < 10, delays


def test_every_servers_tick_makes_each_period_once(cluster: Cluster, runner: MpoRunner,
                                                   tmp_path: Path) -> None:
    env = cluster.env()
    added = runner("template", "add", "stock", "-m", "shopee", "-t", "Hourly stock check",
                   "-c", "analysis", "-e", "1", "--created-by", "marketplace-shopee",
                   "--every", "0 * * * *", "--starts", "2026-11-30T00:00:00+00:00", env=env)
    assert added.exit_code == 0, added.stderr
    for at, periods in (("2026-12-01T10:30:00+00:00", 10), ("2026-12-01T11:00:00+00:00", 11)):
        ticks = _together(cluster, tmp_path, "tick", "--at", at)
        assert [code for code, _, _ in ticks] == [0, 0, 0], ticks
        keys = [t["idempotency_key"] for t in readback.tasks(cluster.owner).values()
                if (t["idempotency_key"] or "").startswith("template:stock:")]
        assert len(keys) == periods == len(set(keys))


def test_every_servers_deliver_sends_each_event_once(cluster: Cluster, runner: MpoRunner,
                                                     tmp_path: Path) -> None:
    posts: Counter[str] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            with lock:
                posts[self.headers["webhook-id"]] += 1
            time.sleep(0.02)  # a receiver that takes a moment: runs overlap
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        added = runner("webhook", "add", url, "--events", "create", "--json", env=cluster.env())
        assert added.exit_code == 0, added.stderr
        assert secrets.read(json.loads(added.stdout)["secret_name"])
        made = []
        for n in range(30):
            served = cluster.servers[n % 3]
            created = served.client("marketplace-amazon").post(f"{V1}/tasks", json=TASK)
            assert created.status_code == 201, created.text
            made.append(created.json()["id"])
        runs = _together(cluster, tmp_path, "deliver",
                         "--max-time", "20")
        assert [code for code, _, _ in runs] == [0, 0, 0], runs
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert len(posts) == 30 and set(posts.values()) == {1}, posts
    deliveries = readback.fetch(cluster.owner, "SELECT status, attempts FROM webhook_delivery")
    assert Counter((d["status"], d["attempts"]) for d in deliveries) == {("delivered", 1): 30}

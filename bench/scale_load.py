"""The load of bench/scale.py: agents creating (and submitting), admins deciding in batches
and handing some approved work on, members starting and completing it, each a keep-alive
HTTP/1.1 connection to one of the servers.

A few lines of asyncio on sockets, as bench/serve.py's generator, not httpx: on a 2-core
machine the clients share the cores with the servers and the database, and an HTTP library
would spend more CPU per request than the servers do."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CREATE = "POST /api/v1/tasks?submit=true"
#: Idle loops (nothing to decide, nothing to complete) look again after this long.
IDLE = 0.05


@dataclass
class Tally:
    """What the run did: per endpoint, latencies (seconds) and tasks moved while recording;
    per server, requests; every error, recording or not."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    tasks: Counter[str] = field(default_factory=Counter)
    servers: Counter[str] = field(default_factory=Counter)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    recording: bool = False

    def error(self, endpoint: str, what: str, detail: str) -> None:
        self.errors[(endpoint, what)] += 1
        if len(self.samples) < 20:
            self.samples.append(f"{endpoint}: {what}: {detail[:300]}")


@dataclass
class Plan:
    """The run's shape: its length, the creates' pace, the decisions' batch and shares."""

    seconds: float
    rate: float  # creates per second in all; 0: as fast as the servers answer
    batch: int
    reject: float  # share of decided tasks rejected
    assign: float  # share of approved tasks an admin assigns to a member
    start: float  # share of approved tasks a member starts
    stop: float = 0.0


class Http:
    """One keep-alive connection to one server."""

    def __init__(self, base: str, tally: Tally) -> None:
        self.base, self.tally = base, tally
        self.host, _, port = base.removeprefix("http://").partition(":")
        self.port = int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, endpoint: str, method: str, path: str, token: str,
                   body: Any = None, expect: int = 200) -> Any:
        """The answer's JSON, or None after recording an error (a status other than
        `expect`, or a dropped connection)."""
        data = b"" if body is None else json.dumps(body).encode()
        request = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                   f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(data)}\r\n\r\n").encode() + data
        started = time.perf_counter()
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            self.writer.write(request)
            head = await self.reader.readuntil(b"\r\n\r\n")
            headers = head.lower().split(b"\r\n")
            length = next((int(h.split(b":", 1)[1]) for h in headers
                           if h.startswith(b"content-length:")), 0)
            answer = await self.reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            self.tally.error(endpoint, type(error).__name__, f"{self.base}: {error}")
            self.close()
            return None
        if b"connection: close" in headers:
            self.close()
        if self.tally.recording:
            self.tally.latencies[endpoint].append(time.perf_counter() - started)
            self.tally.servers[self.base] += 1
        status = int(head[9:12])
        if status != expect:
            text = answer.decode(errors="replace")
            self.tally.error(endpoint, str(status), f"{self.base}: {text}")
            return None
        return json.loads(answer) if answer else None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _share(ids: list[str], share: float, carry: float) -> tuple[list[str], list[str], float]:
    """The first `share` of `ids` and the rest; `carry` keeps the fraction over batches so
    that small batches still take the share in the long run."""
    wanted = len(ids) * share + carry
    taken = min(len(ids), int(wanted))
    return ids[:taken], ids[taken:], wanted - taken


async def agent(http: Http, token: str, marketplace: str, plan: Plan, interval: float,
                number: int) -> None:
    """Create and submit one task after another (`mpo create --submit`), paced when
    `interval` (seconds between this agent's creates) is set."""
    due, made = time.perf_counter(), 0
    while time.perf_counter() < plan.stop:
        if interval:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            due += interval
        made += 1
        body = {"marketplace": marketplace, "title": f"Rewrite GEO titles {number}-{made}",
                "description": "bench/scale.py", "category": "optimization",
                "priority": "high", "estimated_hours": 4, "tags": ["scale"]}
        done = await http.call(CREATE, "POST", "/api/v1/tasks?submit=true", token, body,
                               expect=201)
        if done is not None and http.tally.recording:
            http.tally.tasks[CREATE] += 1


async def admin(http: Http, token: str, marketplaces: list[str], member: str,
                handed: asyncio.Queue[list[str]], plan: Plan) -> None:
    """List what awaits a decision in `marketplaces` (oldest first, a batch), reject a
    share and approve the rest in two batch calls, assign a share of those approved to
    `member`, and hand another share to `member` to start."""
    query = (f"/api/v1/tasks?status=awaiting_approval&marketplace={','.join(marketplaces)}"
             f"&oldest_first=true&limit={plan.batch}")
    carry = [0.0, 0.0, 0.0]
    while time.perf_counter() < plan.stop:
        page = await http.call("GET /api/v1/tasks (awaiting)", "GET", query, token)
        ids = [t["id"] for t in page["tasks"]] if page else []
        if not ids:
            await asyncio.sleep(IDLE)
            continue
        rejected, approved, carry[0] = _share(ids, plan.reject, carry[0])
        if rejected:
            await _verb(http, token, "reject", {"ids": rejected, "reason_code": "duplicate",
                                                "reason": "bench/scale.py"})
        if approved and await _verb(http, token, "approve", {"ids": approved, "note": "go"}):
            assigned, rest, carry[1] = _share(approved, plan.assign, carry[1])
            started, _, carry[2] = _share(rest, plan.start / max(1e-9, 1 - plan.assign),
                                          carry[2])
            if assigned:
                await _verb(http, token, "assign", {"ids": assigned, "to": member})
            if started:
                handed.put_nowait(started)


async def member(http: Http, token: str, name: str, handed: asyncio.Queue[list[str]],
                 plan: Plan) -> None:
    """Start what an admin handed over, then complete a batch of one's work in progress."""
    query = f"/api/v1/tasks?status=in_progress&assigned_to={name}&limit={plan.batch}"
    while time.perf_counter() < plan.stop:
        ids: list[str] = []
        while not handed.empty() and len(ids) < plan.batch:
            ids += handed.get_nowait()
        busy = bool(ids) and await _verb(http, token, "start", {"ids": ids})
        page = await http.call("GET /api/v1/tasks (mine)", "GET", query, token)
        mine = [t["id"] for t in page["tasks"]] if page else []
        if mine:
            busy = await _verb(http, token, "complete", {"ids": mine, "actual_hours": 3.5})
        if not busy:
            await asyncio.sleep(IDLE)


async def _verb(http: Http, token: str, verb: str, body: dict[str, Any]) -> bool:
    endpoint = f"POST /api/v1/tasks/{verb}"
    done = await http.call(endpoint, "POST", f"/api/v1/tasks/{verb}", token, body)
    if done is not None and http.tally.recording:
        http.tally.tasks[endpoint] += len(body["ids"])
    return done is not None


async def drive(bases: list[str], people: dict[str, Any], plan: Plan, clients: int,
                warmup: float, recording: Callable[[], None]) -> tuple[Tally, float]:
    """Run every client against the servers for `warmup` then `plan.seconds` seconds;
    returns the tally (recorded after the warm-up, when `recording` is called) and the
    recorded wall time."""
    tally = Tally()
    marketplaces: list[str] = list(people["agents"])
    agents = clients * len(bases)
    interval = agents / plan.rate if plan.rate else 0.0
    begun = time.perf_counter()
    plan.stop = begun + warmup + plan.seconds
    jobs = []
    for n in range(agents):
        marketplace = marketplaces[n % len(marketplaces)]
        server = bases[(n + n // len(marketplaces)) % len(bases)]
        jobs.append(agent(Http(server, tally), people["agents"][marketplace], marketplace,
                          plan, interval, n))
    for n, base in enumerate(bases):
        handed: asyncio.Queue[list[str]] = asyncio.Queue()
        mine = [m for i, m in enumerate(marketplaces) if i % len(bases) == n]
        name, token = people["members"][n]
        if mine:
            jobs.append(admin(Http(base, tally), people["admins"][n], mine, name, handed,
                              plan))
        jobs.append(member(Http(base, tally), token, name, handed, plan))

    async def record() -> None:
        await asyncio.sleep(warmup)
        recording()
        tally.recording = True

    await asyncio.gather(record(), *jobs)
    return tally, time.perf_counter() - begun - warmup

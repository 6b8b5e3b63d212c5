"""Where a benchmark's CPU goes, per request: the server's processes, PostgreSQL's, and the
load generator's, read from /proc around a run, and what that costs in throughput.

On a machine of N cores, a request that costs C ms of CPU in all processes together cannot
be served faster than N * 1000 / C per second, whatever the concurrency; and a server of W
Python processes, each running its Python on one core at a time (the GIL), not faster than
W * 1000 / S for S ms of its own. The lower ceiling says whether a throughput target is
reachable at the current cost, and how much CPU per request would have to go. With
`profiled`, py-spy samples the server's Python (the thread holding the GIL) during a run,
and `top` prints the frames in the most samples (`python -m pip install py-spy`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User + system CPU seconds of one process so far (0 when it is gone); `reaped` adds
    those of its children that have ended (and been waited for)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def postgres_seconds() -> float:
    """CPU seconds of PostgreSQL so far, for every database and client (so: on a quiet
    machine only): the postmaster with its ended backends (it reaps each) and every
    backend still running, so connections opened and closed during a run count too."""
    pids = named("postgres")
    parents = {pid: _parent(pid) for pid in pids}
    masters = [pid for pid, parent in parents.items() if parent not in parents]
    return (sum(cpu_seconds(pid, reaped=True) for pid in masters)
            + sum(cpu_seconds(pid) for pid in pids if pid not in masters))


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return 0


def tree(pid: int) -> list[int]:
    """`pid` and every process below it (a server's workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except FileNotFoundError:
                continue
    return found


def named(name: str) -> list[int]:
    """Every process whose command name is `name` (PostgreSQL's backends: `postgres`)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() == name:
                pids.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return pids


@dataclass
class Budget:
    """CPU seconds each part spent during a run (`measure` fills it)."""

    parts: dict[str, float] = field(default_factory=dict)

    def per_request(self, requests: float) -> dict[str, float]:
        return {name: spent / requests * 1000 for name, spent in self.parts.items()}

    def line(self, requests: float, target: float, workers: int) -> str:
        """CPU ms per request by part, the ceilings they allow on this machine (all
        processes on its cores; the server's `workers` processes, a core each at most), and
        what the target would need."""
        each = self.per_request(requests)
        total = sum(each.values())
        cores = os.cpu_count() or 1
        server = each["server"]
        parts = ", ".join(f"{name} {ms:.2f}" for name, ms in each.items())
        return (f"CPU per request: {parts} = {total:.2f} ms. Ceilings at this cost: "
                f"{cores} cores / {total:.2f} ms = {cores * 1000 / total:.0f}/s; {workers} "
                f"server process(es) / {server:.2f} ms = {workers * 1000 / server:.0f}/s. "
                f"{target:.0f}/s needs <= {cores * 1000 / target:.2f} ms in all and <= "
                f"{workers * 1000 / target:.2f} ms in the server")


@contextmanager
def measure(server: int, *, postgres: bool) -> Iterator[Budget]:
    """CPU seconds of the server's process tree (and of PostgreSQL's processes) over the
    `with` block; the load generator's own are added by the caller (`Budget.parts`)."""
    pids = tree(server)
    before = sum(map(cpu_seconds, pids)), postgres_seconds() if postgres else 0.0
    budget = Budget()
    yield budget
    budget.parts["server"] = sum(map(cpu_seconds, pids)) - before[0]
    if postgres:
        budget.parts["postgres"] = postgres_seconds() - before[1]


@contextmanager
def profiled(server: int, seconds: float) -> Iterator[Path | None]:
    """py-spy sampling the server's tree for `seconds` (None when py-spy is missing); the
    raw profile's path, read by `top` after the block."""
    spy = shutil.which("py-spy")
    if spy is None:
        yield None
        return
    out = Path(tempfile.mkdtemp(prefix="mpo-bench-spy-")) / "raw.txt"
    sampler = subprocess.Popen(
        [spy, "record", "--subprocesses", "--gil", "-r", "200", "-f", "raw", "-o", str(out),
         "--pid", str(server), "-d", str(int(seconds))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield out
    finally:
        sampler.wait()


def top(raw: Path, count: int = 25) -> list[str]:
    """The `count` functions in the most samples (inclusive), as `share function file`.
    Of frames in exactly as many samples (one call chain: runpy, threading, the
    middlewares), only the deepest is shown."""
    inclusive: Counter[str] = Counter()
    depth: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, samples = line.rpartition(" ")
        n = int(samples)
        total += n
        seen = set()
        for level, frame in enumerate(stack.split(";")):
            name, _, where = frame.partition(" (")
            key = f"{name} {where.split(':')[0].rsplit('/', 1)[-1]}"
            if key not in seen:
                seen.add(key)
                inclusive[key] += n
                depth[key] = max(depth.get(key, 0), level)
    deepest: dict[int, str] = {}
    for key, n in inclusive.items():
        if n not in deepest or depth[key] > depth[deepest[n]]:
            deepest[n] = key
    shown = sorted(deepest.items(), reverse=True)[:count]
    return [f"{n / total:6.1%}  {key}" for n, key in shown]

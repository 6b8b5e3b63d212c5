"""How long `mpo` takes to start, next to the bare cost of importing its heavy libraries.

Prints the median wall-clock and CPU (user + system) time of whole processes:
`mpo --help`, `mpo --version`, `mpo create ...` (an agent with its token in MPO_TOKEN, as
agents run it) against an SQLite database already holding 100,000 tasks (bench/dataset.py),
Taskwarrior's `task add` on the same number of tasks (skipped when `task` is missing), and
`python -c "import typer, sqlmodel"`; then their ratios. Targets (issue 11): `mpo create`
faster than `task add`, and <= 1.3x the bare import. No assertions.

    python bench/startup.py [--runs N] [--tasks 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dataset import sqlite_file


def run(command: list[str], env: dict[str, str]) -> str:
    """Run `command`; its stdout, or exit with its stderr."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:3])}: {done.stderr.strip()}")
    return done.stdout


def measure(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median (wall, cpu) seconds of `runs` runs of `command`, after one warm-up run."""
    run(command, env)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def agent_token(url: str) -> str:
    """A token for the amazon agent, added to the bench database (minted again if reused)."""
    from mpo.core.domain.errors import Conflict
    from mpo.core.domain.permissions import Actor, Role
    from mpo.core.domain.validation import Rules
    from mpo.core.usecases.identity import add_principal, rotate_token
    from mpo.store.database import SqlDatabase

    db, boss = SqlDatabase(url), Actor("bench", Role.ADMIN)
    try:
        return add_principal(db, boss, "marketplace-amazon", "agent", "amazon", Rules()).token
    except Conflict:
        return rotate_token(db, boss, "marketplace-amazon").token


def taskwarrior(home: str, count: int, env: dict[str, str]) -> str:
    """A Taskwarrior data directory holding `count` tasks; the path of its taskrc."""
    from bulk_create import generate

    taskrc = Path(home, "taskrc")
    taskrc.write_text(f"data.location={home}/tw\nconfirmation=off\nverbose=nothing\n")
    Path(home, "tw").mkdir()
    subprocess.run(["task", "import", str(generate(count)[1])], env=env | {
        "TASKRC": str(taskrc)}, check=True, capture_output=True)
    return str(taskrc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs per command")
    parser.add_argument("--tasks", type=int, default=100_000, help="tasks already stored")
    options = parser.parse_args()
    runs = options.runs

    mpo = shutil.which("mpo", path=str(Path(sys.executable).parent)) or shutil.which("mpo")
    if mpo is None:
        sys.exit("the mpo console script is not installed (pip install -e '.[test]')")
    with tempfile.TemporaryDirectory(prefix="mpo-bench-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")}
        env |= {"HOME": home, "XDG_CONFIG_HOME": f"{home}/config",
                "XDG_DATA_HOME": f"{home}/data", "MPO_DATABASE_URL": f"sqlite:///{home}/mpo.db"}
        shutil.copy(sqlite_file(options.tasks), f"{home}/mpo.db")
        env["MPO_TOKEN"] = agent_token(env["MPO_DATABASE_URL"])
        create = [mpo, "create", "-m", "amazon", "-t", "Rewrite GEO titles", "-c",
                  "optimization", "-e", "4", "--json"]
        cases = {
            "mpo --help": [mpo, "--help"],
            "mpo --version": [mpo, "--version"],
            "mpo create": create,
            "import typer, sqlmodel": [sys.executable, "-c", "import typer, sqlmodel"],
            "python -c pass": [sys.executable, "-c", "pass"],
        }
        if shutil.which("task") is None:
            print("task add: skipped: taskwarrior not installed (apt-get install taskwarrior)")
        else:
            cases["task add"] = ["task", "add", "Rewrite GEO titles", "project:amazon",
                                 "priority:H"]
            env["TASKRC"] = taskwarrior(home, options.tasks, env)
        results = {name: measure(command, env, runs) for name, command in cases.items()}

    print(f"median of {runs} runs, seconds")
    print(f"{'command':<26}{'wall':>9}{'cpu':>9}")
    for name, (wall, cpu) in results.items():
        print(f"{name:<26}{wall:>9.3f}{cpu:>9.3f}")
    base = results["import typer, sqlmodel"]
    print("\nratios (wall, cpu)")
    for name in ("mpo --help", "mpo --version", "mpo create"):
        wall, cpu = results[name]
        label = f"{name} / import typer, sqlmodel"
        print(f"{label:<44}{wall / base[0]:>7.2f}{cpu / base[1]:>7.2f}")
    create_wall, create_cpu = results["mpo create"]
    print(f"target mpo create <= 1.3x import typer, sqlmodel: wall "
          f"{'met' if create_wall / base[0] <= 1.3 else 'MISSED'}, cpu "
          f"{'met' if create_cpu / base[1] <= 1.3 else 'MISSED'} (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    if "task add" in results:
        tw_wall, tw_cpu = results["task add"]
        print(f"{'mpo create / task add':<44}{create_wall / tw_wall:>7.2f}"
              f"{create_cpu / tw_cpu:>7.2f}  target < 1: wall "
              f"{'met' if create_wall < tw_wall else 'MISSED'}, cpu "
              f"{'met' if create_cpu < tw_cpu else 'MISSED'}")
    help_wall, help_cpu = results["mpo --help"]
    print(f"{'mpo create / mpo --help':<44}{create_wall / help_wall:>7.2f}"
          f"{create_cpu / help_cpu:>7.2f}")


if __name__ == "__main__":
    main()

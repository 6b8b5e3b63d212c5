"""How long `mpo` takes to start, next to the bare cost of importing its heavy libraries.

Prints the median wall-clock and CPU (user + system) time of whole processes:
`mpo --help`, `mpo --version`, `mpo create ...` (an agent with its token in MPO_TOKEN, as
agents run it) against a temporary initialised SQLite database, and
`python -c "import typer, sqlmodel"`; then their ratios. No assertions: run it before and
after a change and compare.

    python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs per command")
    runs = parser.parse_args().runs

    mpo = shutil.which("mpo", path=str(Path(sys.executable).parent)) or shutil.which("mpo")
    if mpo is None:
        sys.exit("the mpo console script is not installed (pip install -e '.[test]')")
    with tempfile.TemporaryDirectory(prefix="mpo-bench-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MPO_")}
        env |= {"HOME": home, "XDG_CONFIG_HOME": f"{home}/config",
                "XDG_DATA_HOME": f"{home}/data", "MPO_DATABASE_URL": f"sqlite:///{home}/mpo.db"}
        init = json.loads(run([mpo, "init", "--json"], env))
        admin = env | ({"MPO_TOKEN": init["admin_token"]} if init.get("admin_token") else {})
        agent = json.loads(run([mpo, "principal", "add", "marketplace-amazon", "--role",
                                "agent", "--marketplace", "amazon", "--json"], admin))
        env["MPO_TOKEN"] = agent["token"]
        create = [mpo, "create", "-m", "amazon", "-t", "Rewrite GEO titles", "-c",
                  "optimization", "-e", "4", "--json"]
        cases = {
            "mpo --help": [mpo, "--help"],
            "mpo --version": [mpo, "--version"],
            "mpo create": create,
            "import typer, sqlmodel": [sys.executable, "-c", "import typer, sqlmodel"],
            "python -c pass": [sys.executable, "-c", "pass"],
        }
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
    help_wall, help_cpu = results["mpo --help"]
    create_wall, create_cpu = results["mpo create"]
    print(f"{'mpo create / mpo --help':<44}{create_wall / help_wall:>7.2f}"
          f"{create_cpu / help_cpu:>7.2f}")


if __name__ == "__main__":
    main()

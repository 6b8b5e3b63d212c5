"""Backtest effort prediction (`mpo.core.domain.estimate`) on a generated history with known
per-agent biases, then time the one read it needs on a generated database.

Backtest: tasks are replayed in the order they were completed; each is predicted from
the tasks completed before it (the most recent `SAMPLE` of each group, as the store
reads them), then joins the history. Prints the mean absolute error (hours) of the agents'
own estimates, of a plain global ratio (estimate x the median actual/estimated of all
earlier tasks) and of the model. Timing: `SqlHistoryQueries.ratios` on an SQLite file of
`--rows` tasks made by bench/stats.py. Prints figures and ratios; asserts nothing.

    python bench/estimate.py                       # 20,000-task backtest, 100,000-row timing
    python bench/estimate.py --tasks 50000 --rows 0
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from mpo.core.domain.estimate import MIN_HISTORY, SAMPLE, History, predict
from mpo.core.domain.vocabulary import (
    DEFAULT_MARKETPLACES,
    MASTER_AGENT,
    Category,
    agent_name,
    values,
)

#: How far each agent's estimates are off: actual = estimate x bias x category x noise.
AGENT_BIAS = {"amazon": 1.6, "shopee": 0.7, "mercadolivre": 1.25, "shein": 0.9,
              "tiktokshop": 1.4, "kaway": 1.0, MASTER_AGENT: 1.1}
CATEGORY_EFFECT = {"optimization": 1.0, "best-practice": 0.85, "scaling": 1.3, "analysis": 1.1}
NOISE_SIGMA = 0.35


@dataclass(frozen=True)
class Done:
    """A completed task of the generated history."""

    agent: str
    marketplace: str
    category: str
    estimated: float
    actual: float


def history(n: int, seed: int) -> Iterator[Done]:
    """`n` completed tasks, in completion order."""
    rng = random.Random(seed)
    for _ in range(n):
        marketplace = rng.choice(DEFAULT_MARKETPLACES)
        agent = MASTER_AGENT if rng.random() < 0.1 else agent_name(marketplace)
        category = rng.choice(values(Category))
        estimated = round(max(0.5, rng.lognormvariate(1.3, 0.7)) * 2) / 2
        bias = AGENT_BIAS[MASTER_AGENT if agent == MASTER_AGENT else marketplace]
        actual = estimated * bias * CATEGORY_EFFECT[category] * rng.lognormvariate(0, NOISE_SIGMA)
        yield Done(agent, marketplace, category, estimated, round(max(0.1, actual), 2))


def backtest(n: int, seed: int) -> None:
    everything: deque[float] = deque(maxlen=SAMPLE)
    by_market: dict[tuple[str, str], deque[float]] = {}
    by_agent: dict[tuple[str, str], deque[float]] = {}
    errors: dict[str, list[float]] = {"agents' own estimates": [], "global ratio": [],
                                      "model": []}
    started = time.perf_counter()
    for task in history(n, seed):
        market = by_market.setdefault((task.marketplace, task.category), deque(maxlen=SAMPLE))
        agent = by_agent.setdefault((task.agent, task.category), deque(maxlen=SAMPLE))
        found = predict(task.estimated, History(everything, market, agent))
        if found is not None:
            plain = task.estimated * math.exp(statistics.median(math.log(r) for r in everything))
            errors["agents' own estimates"].append(abs(task.estimated - task.actual))
            errors["global ratio"].append(abs(plain - task.actual))
            errors["model"].append(abs(found.predicted_hours - task.actual))
        ratio = task.actual / task.estimated
        for group in (everything, market, agent):
            group.append(ratio)
    elapsed = time.perf_counter() - started
    scored = len(errors["model"])
    print(f"backtest: {n:,} tasks in completion order, {scored:,} predicted "
          f"(the first {MIN_HISTORY} only teach), {elapsed:.1f} s")
    own = statistics.fmean(errors["agents' own estimates"])
    for name, values_ in errors.items():
        mae = statistics.fmean(values_)
        print(f"  MAE {name:<22} {mae:6.3f} h   ({mae / own:5.1%} of the agents')")


def timing(rows: int, seed: int, repeat: int) -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from stats import generate  # bench/stats.py

    from mpo.store.database import SqlDatabase

    path = Path(f"/tmp/mpo-bench-estimate-{rows}.db")
    url = f"sqlite:///{path}"
    if not path.exists():
        print(f"generating {rows:,} tasks in {path} (bench/stats.py's generator)")
        generate(url, rows, seed)
    db = SqlDatabase(url)
    rng = random.Random(seed)
    times = []
    for _ in range(repeat):
        marketplace = rng.choice(DEFAULT_MARKETPLACES)
        started = time.perf_counter()
        with db.read() as uow:
            found = uow.history.ratios(agent=agent_name(marketplace), marketplace=marketplace,
                                       category=rng.choice(values(Category)))
        times.append(time.perf_counter() - started)
    print(f"read: {repeat} predictions on {rows:,} tasks (SQLite), ratios per read "
          f"{len(found.everything)}+{len(found.marketplace_category)}+"
          f"{len(found.agent_category)}: median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms (one unit of work each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=20_000, help="tasks in the backtest")
    parser.add_argument("--rows", type=int, default=100_000,
                        help="tasks in the timing database (0: skip the timing)")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    backtest(args.tasks, args.seed)
    if args.rows:
        timing(args.rows, args.seed, args.repeat)


if __name__ == "__main__":
    main()

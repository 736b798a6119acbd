"""Routing speed: 1,000,000 items per strategy, ``learned`` refit on 10k labels, ``hyper`` fit.

Targets: routing 1M items < 10 s; refitting ``learned`` on 10,000 labelled items < 2 s;
``hyper``'s PPM fit on 200 simulated mixes of 1,000 items < 60 s. Each timing is printed with
its ratio to a baseline measured in the same run: a plain ``np.argsort`` of 1M margins (the
least any ranking router must do).
"""

from __future__ import annotations

import os

# Small dense solves: one BLAS thread is fastest and keeps timings stable on a busy machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time
from collections.abc import Callable

import numpy as np

from labeler.routing import RoutingInput, make_strategy
from labeler.routing.hyper import HyperStrategy
from labeler.routing.learned import LearnedStrategy
from labeler.routing.logistic import logistic_head


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def synthetic(n: int, seed: int = 0, d: int = 12, labelled: int = 0) -> RoutingInput:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n).astype(np.int8)
    ai = np.where(rng.random(n) < 0.25, 1 - truth, truth).astype(np.int8)
    members = rng.random((n, 5))
    human = np.full(n, -1, dtype=np.int8)
    human[:labelled] = truth[:labelled]
    return RoutingInput(
        ai_label=ai,
        margin=np.abs(members.mean(axis=1) - 0.5),
        member_probs=members,
        judge_probs=rng.integers(0, 2, (n, 2)).astype(float),
        features=rng.normal(size=(n, d)) + (ai != truth)[:, None] * 0.3,
        tags=rng.random((n, 24)) < 0.33,
        head_features=rng.normal(size=(n, 64)) + (truth[:, None] - 0.5) * 0.2,
        human_label=human,
    )


def main() -> None:
    n = 1_000_000
    inp = synthetic(n, labelled=10_000)
    rng = np.random.default_rng(0)
    baseline = timed(lambda: np.argsort(np.asarray(inp.margin)))
    print(f"baseline np.argsort of {n:,} margins: {baseline:.3f} s")
    print(f"{'routing 1,000,000 items (25% budget)':<44}{'seconds':>9}{'x baseline':>12}")
    for name in ("random", "margin", "ensemble", "learned"):
        strategy = make_strategy(name)
        t = timed(lambda s=strategy: s.decide(inp, 0.25, rng))
        print(f"  {name:<42}{t:>9.3f}{t / baseline:>12.1f}   target < 10 s")
    learned = LearnedStrategy()
    small = synthetic(50_000, labelled=10_000)
    t = timed(lambda: learned.fit(small))
    print(f"  {'learned refit on 10,000 labelled items':<42}{t:>9.3f}{t / baseline:>12.1f}"
          "   target < 2 s")  # fmt: skip
    hyper = HyperStrategy(logistic_head(), n_mixes=200)
    mixes = synthetic(1_000, labelled=1_000)
    t = timed(lambda: HyperStrategy(logistic_head(), n_mixes=200).fit(mixes, rng), repeat=1)
    print(f"  {'hyper PPM fit, 200 mixes of 1,000 items':<42}{t:>9.3f}{t / baseline:>12.1f}"
          "   target < 60 s")  # fmt: skip
    route_inp = synthetic(20_000, labelled=2_000)
    t = timed(lambda: hyper.decide(route_inp, 0.25, rng), repeat=1)
    print(f"  {'hyper route 20,000 items (incl. its fit)':<42}{t:>9.3f}{t / baseline:>12.1f}")


if __name__ == "__main__":
    main()

"""Budgets in hours: each item's predicted labelling time, and the items worth the time.

A person reads a long item more slowly than a short one, so an hour buys more short items.
``fit_pace`` learns seconds ~ a + b * characters from the project's own timed labels with a
robust (Theil-Sen) fit, so a few items left open over lunch do not bend it; with too few
timed labels, or no length effect, every item takes the mean time. ``spend_hours`` then fills
the hours with the items that correct the most expected errors per second of people's time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labeler.routing.base import RoutingDecision, RoutingInput, Strategy, decide_by_score
from labeler.routing.learned import LearnedStrategy

MIN_TIMED = 20  # fewer timed labels than this: the mean pace only
MAX_PAIRS = 20_000  # Theil-Sen slopes from at most this many random pairs


@dataclass(frozen=True)
class Pace:
    """Predicted seconds for an item of ``chars`` characters: ``a + b * chars``."""

    a: float
    b: float
    n: int

    def seconds(self, chars: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.maximum(self.a + self.b * np.asarray(chars, dtype=np.float64), 1.0)
        return out


def fit_pace(chars: np.ndarray, ms: np.ndarray, seed: int = 0) -> Pace | None:
    """Seconds per item against its length, from timed labels; None without any.

    >>> c = np.arange(40.0) * 100
    >>> p = fit_pace(c, 1000 * (5 + 0.01 * c))
    >>> round(p.a, 3), round(p.b, 4)
    (5.0, 0.01)
    >>> fit_pace(c[:3], np.array([4000.0, 6000.0, 8000.0]))  # too few: the mean
    Pace(a=6.0, b=0.0, n=3)
    """
    x = np.asarray(chars, dtype=np.float64)
    y = np.asarray(ms, dtype=np.float64) / 1000.0
    if len(y) == 0:
        return None
    mean = Pace(float(y.mean()), 0.0, len(y))
    if len(y) < MIN_TIMED:
        return mean
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(x), MAX_PAIRS)
    j = rng.integers(0, len(x), MAX_PAIRS)
    apart = x[i] != x[j]
    if apart.sum() < MIN_TIMED:
        return mean
    slope = float(np.median((y[j] - y[i])[apart] / (x[j] - x[i])[apart]))
    if slope <= 0:
        return mean
    return Pace(float(np.median(y - slope * x)), slope, len(y))


def spend_hours(value: np.ndarray, seconds: np.ndarray, hours: float) -> np.ndarray:
    """Indices of the items to send to people within ``hours``, best value per second first.

    ``value`` is each candidate's expected errors corrected (its chance the AI label is
    wrong; 1 where there is no AI label to accept). Items are taken in order of value per
    second while they fit: the greedy answer to this knapsack, within one item of the best.

    >>> spend_hours(np.array([0.9, 0.5, 0.4]), np.array([60.0, 10.0, 10.0]), 30 / 3600)
    array([1, 2])
    """
    value = np.asarray(value, dtype=np.float64)
    seconds = np.asarray(seconds, dtype=np.float64)
    order = np.lexsort((-value, -(value / seconds)))
    fits = np.cumsum(seconds[order]) <= hours * 3600.0
    # Stop at the first item that no longer fits: skipping it for a cheaper one further down
    # would reorder the queue people work through.
    stop = int(np.argmin(fits)) if not fits.all() else len(order)
    return np.asarray(order[:stop])


def decide_for_hours(
    strategy: Strategy,
    inp: RoutingInput,
    seconds: np.ndarray,
    hours: float,
    rng: np.random.Generator,
) -> RoutingDecision:
    """Route as many items to people as fit in ``hours`` of predicted labelling time.

    With ``learned`` the items maximise expected corrected errors per second (its posterior
    chance the AI is wrong over the item's predicted time); other strategies give no chance,
    so their own queue is followed until the hours are spent.
    """
    pool = np.flatnonzero(inp.eligible_mask)
    value = strategy.error_probability(inp) if isinstance(strategy, LearnedStrategy) else None
    score = np.full(inp.n, -np.inf)
    if value is not None:
        chosen = pool[spend_hours(value[pool], seconds[pool], hours)]
        score[chosen] = value[chosen] / seconds[chosen]
    else:
        queue = strategy.decide(inp, len(pool), rng).human_order
        fits = np.cumsum(seconds[queue]) <= hours * 3600.0
        chosen = queue[: int(np.argmin(fits)) if not fits.all() else len(queue)]
        score[chosen] = -np.arange(len(chosen), dtype=np.float64)  # the queue's own order
    planned = round(float(seconds[chosen].sum()) / 3600.0, 3)
    return decide_by_score(
        inp, score, len(chosen), rng, strategy.name, {"planned_hours": planned},
        unlabelled_first=False,
    )  # fmt: skip

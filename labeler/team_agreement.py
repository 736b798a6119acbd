"""Inter-annotator agreement: Cohen's kappa, Fleiss' kappa, Krippendorff's alpha, Kendall's tau.

Pure numpy over a ratings matrix ``(items, annotators)`` of category indices, ``MISSING`` where
an annotator did not label the item. Pairwise choices are three ordered categories
(A better < tie < B better), so alpha is reported with the nominal and the ordinal metric.
Rankings are compared pair by pair of annotators with Kendall's tau-b on each shared item.

Every number comes with the count of items it uses and a 95% percentile-bootstrap interval
over items (seeded, so the same project gives the same interval).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

MISSING = -1
BOOTSTRAP = 500
"""Resamples behind each interval: the interval's ends move by well under 0.01 beyond this."""

Stat = Callable[[np.ndarray], float]


@dataclass(frozen=True, slots=True)
class Estimate:
    """One agreement number with its interval and the items it rests on."""

    name: str
    value: float | None
    low: float | None
    high: float | None
    items: int


def cohen_kappa(ratings: np.ndarray, n_categories: int) -> float:
    """Cohen's kappa of two columns over the items both labelled (NaN if undefined).

    >>> round(cohen_kappa(np.array([[0, 0], [1, 1], [0, 1], [1, 1]]), 2), 3)
    0.5
    """
    both = (ratings[:, 0] != MISSING) & (ratings[:, 1] != MISSING)
    a, b = ratings[both, 0], ratings[both, 1]
    n = a.size
    if n == 0:
        return float("nan")
    table = np.zeros((n_categories, n_categories))
    np.add.at(table, (a, b), 1.0)
    table /= n
    observed = np.trace(table)
    expected = float(table.sum(axis=1) @ table.sum(axis=0))
    if expected >= 1.0:
        return float("nan")
    return float((observed - expected) / (1.0 - expected))


def _category_counts(ratings: np.ndarray, n_categories: int) -> np.ndarray:
    """(items, categories): how many annotators put each item in each category."""
    counts = np.zeros((ratings.shape[0], n_categories))
    rows, cols = np.nonzero(ratings != MISSING)
    np.add.at(counts, (rows, ratings[rows, cols]), 1.0)
    return counts


def fleiss_kappa(ratings: np.ndarray, n_categories: int) -> float:
    """Fleiss' kappa over items with two or more labels (the number of raters may vary per
    item; with a fixed number it is the textbook formula).

    >>> round(fleiss_kappa(np.array([[0, 0, 0], [1, 1, 0], [1, 1, 1]]), 2), 3)
    0.55
    """
    counts = _category_counts(ratings, n_categories)
    n = counts.sum(axis=1)
    keep = n >= 2
    counts, n = counts[keep], n[keep]
    if counts.shape[0] == 0:
        return float("nan")
    p_item = ((counts * (counts - 1)).sum(axis=1)) / (n * (n - 1))
    share = counts.sum(axis=0) / n.sum()
    expected = float((share**2).sum())
    if expected >= 1.0:
        return float("nan")
    return float((p_item.mean() - expected) / (1.0 - expected))


def _distances(marginals: np.ndarray, metric: str) -> np.ndarray:
    """Krippendorff's squared distance between categories (ordinal uses the marginals)."""
    k = marginals.size
    idx = np.arange(k)
    if metric == "nominal":
        return (idx[:, None] != idx[None, :]).astype(float)
    if metric == "interval":
        return ((idx[:, None] - idx[None, :]) ** 2).astype(float)
    if metric != "ordinal":
        raise ValueError(f"unknown metric {metric!r}")
    cum = np.concatenate([[0.0], np.cumsum(marginals)])
    d = np.zeros((k, k))
    for c in range(k):
        for e in range(k):
            lo, hi = min(c, e), max(c, e)
            d[c, e] = (cum[hi + 1] - cum[lo] - (marginals[c] + marginals[e]) / 2) ** 2
    return d


def krippendorff_alpha(ratings: np.ndarray, n_categories: int, metric: str = "nominal") -> float:
    """Krippendorff's alpha (nominal, ordinal or interval) over items with two or more labels.

    >>> round(float(krippendorff_alpha(np.array([[0, 0], [1, 1], [0, 1], [1, 1]]), 2)), 3)
    0.533
    """
    counts = _category_counts(ratings, n_categories)
    m = counts.sum(axis=1)
    keep = m >= 2
    counts, m = counts[keep], m[keep]
    if counts.shape[0] == 0:
        return float("nan")
    # Coincidence matrix: o[c, e] = sum over items of n_c * (n_e - [c == e]) / (m - 1)
    weighted = counts / (m - 1)[:, None]
    coincide = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    marginals = coincide.sum(axis=1)
    total = marginals.sum()
    d = _distances(marginals, metric)
    observed = float((coincide * d).sum())
    expected = float((np.outer(marginals, marginals) * d).sum()) / (total - 1)
    if expected <= 0:
        return float("nan")
    return 1.0 - observed / expected


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall's tau-b of two orderings given as scores (higher = preferred; equal = tied).

    >>> kendall_tau([3, 2, 1], [3, 1, 2])
    0.3333333333333333
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    i, j = np.triu_indices(x.size, 1)
    sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    denom = np.sqrt(np.count_nonzero(sx) * np.count_nonzero(sy))
    return float((sx * sy).sum() / denom) if denom else float("nan")


def bootstrap(
    stat: Stat, ratings: np.ndarray, *, reps: int = BOOTSTRAP, seed: int = 0
) -> tuple[float | None, float | None]:
    """95% percentile interval of ``stat`` over items resampled with replacement."""
    n = ratings.shape[0]
    if n < 2:
        return None, None
    rng = np.random.default_rng(seed)
    values = np.array([stat(ratings[rng.integers(0, n, n)]) for _ in range(reps)])
    values = values[np.isfinite(values)]
    if values.size < reps // 2:
        return None, None
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def estimate(name: str, stat: Stat, ratings: np.ndarray, *, reps: int = BOOTSTRAP) -> Estimate:
    """``stat`` on the items with two or more labels, with its bootstrap interval."""
    shared = ratings[(ratings != MISSING).sum(axis=1) >= 2]
    value = stat(shared) if shared.shape[0] else float("nan")
    if not np.isfinite(value):
        return Estimate(name, None, None, None, int(shared.shape[0]))
    low, high = bootstrap(stat, shared, reps=reps)
    return Estimate(name, value, low, high, int(shared.shape[0]))


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """Two annotators on the items both labelled: raw agreement and Cohen's kappa."""

    first: str
    second: str
    items: int
    agree: float | None
    kappa: Estimate


@dataclass(frozen=True, slots=True)
class TeamAgreement:
    """Agreement over pairwise choices (and rankings when there are any), overall and per pair."""

    annotators: tuple[str, ...]
    overall: tuple[Estimate, ...]
    pairs: tuple[PairAgreement, ...]
    rankings: tuple[Estimate, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.pairs and not self.rankings


CHOICE_CATEGORIES = 3
"""Pairwise choices as ordered categories: 0 = A better, 1 = tie, 2 = B better."""


def choice_agreement(
    ratings: np.ndarray, annotators: Sequence[str], *, reps: int = BOOTSTRAP
) -> TeamAgreement:
    """The agreement numbers of a pairwise project (``ratings`` in ``CHOICE_CATEGORIES``)."""
    k = CHOICE_CATEGORIES
    overall: list[Estimate] = []
    if len(annotators) >= 2:
        overall = [
            estimate("Fleiss' kappa", lambda r: fleiss_kappa(r, k), ratings, reps=reps),
            estimate(
                "Krippendorff's alpha (nominal)",
                lambda r: krippendorff_alpha(r, k),
                ratings,
                reps=reps,
            ),
            estimate(
                "Krippendorff's alpha (ordinal: A < tie < B)",
                lambda r: krippendorff_alpha(r, k, "ordinal"),
                ratings,
                reps=reps,
            ),
        ]
    pairs = []
    for i, j in combinations(range(len(annotators)), 2):
        two = ratings[:, [i, j]]
        two = two[(two != MISSING).all(axis=1)]
        if two.shape[0] == 0:
            continue
        kappa = estimate("Cohen's kappa", lambda r: cohen_kappa(r, k), two, reps=reps)
        agree = float(np.mean(two[:, 0] == two[:, 1]))
        pairs.append(PairAgreement(annotators[i], annotators[j], two.shape[0], agree, kappa))
    return TeamAgreement(tuple(annotators), tuple(overall), tuple(pairs))


def ranking_agreement(
    taus: dict[tuple[str, str], list[float]], *, reps: int = BOOTSTRAP
) -> tuple[Estimate, ...]:
    """Mean Kendall's tau-b per annotator pair, over the items both ranked, with intervals."""
    out = []
    for (first, second), values in sorted(taus.items()):
        arr = np.array([v for v in values if np.isfinite(v)])[:, None]
        name = f"Kendall's tau, {first} vs {second}"
        if arr.shape[0] == 0:
            out.append(Estimate(name, None, None, None, 0))
            continue
        low, high = bootstrap(lambda r: float(r.mean()), arr, reps=reps)
        out.append(Estimate(name, float(arr.mean()), low, high, int(arr.shape[0])))
    return tuple(out)

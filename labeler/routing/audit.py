"""How good is the finished data set? Estimates from a random audit of AI-labelled items.

A human checks a uniform random sample of the items whose AI label was accepted (route
``review``). The share the human confirms estimates the accuracy of every accepted AI label;
human-labelled and reviewed items count as correct, so the whole hybrid set's accuracy is a
linear function of that one share, and so is its interval. Intervals are Wilson score
intervals: unlike the normal approximation they stay inside [0, 1] and keep close to their
nominal coverage for the small samples and high accuracies typical of an audit. Sampling is
without replacement from a finite set, so the interval is slightly conservative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


def z_value(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(correct: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when nothing was sampled.

    >>> [round(v, 3) for v in wilson_interval(45, 50)]
    [0.786, 0.957]
    """
    if n <= 0:
        return 0.0, 1.0
    z = z_value(confidence)
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


# The audit gives two different numbers; every front end names the one it shows with these
# words, so "80%" of the model's labels and "93%" of the whole set never read as a contradiction.
MODEL_LABELS = "the model's labels"
FINISHED_SET = "the whole finished set (people's labels counted as right)"


def accuracy_text(
    accuracy: float,
    interval: tuple[float, float],
    audited: int | None = None,
    confidence: float = 0.95,
) -> str:
    """One wording of an estimate for the panel, the export's warning and ``stats``.

    >>> accuracy_text(0.8, (0.376, 0.964), 5)
    '80.0% (95% interval 37.6–96.4%, from 5 audited items)'
    """
    low, high = interval
    source = "" if audited is None else f", from {audited:,} audited item{'s' * (audited != 1)}"
    return f"{accuracy:.1%} ({confidence:.0%} interval {100 * low:.1f}–{100 * high:.1f}%{source})"


@dataclass(frozen=True)
class QualityEstimate:
    """Accuracy of the accepted AI labels and of the whole hybrid set, with intervals."""

    audited: int
    confirmed: int
    n_human: int
    n_model: int
    confidence: float
    ai_accuracy: float
    ai_interval: tuple[float, float]
    hybrid_accuracy: float
    hybrid_interval: tuple[float, float]

    @property
    def ai_half_width(self) -> float:
        return (self.ai_interval[1] - self.ai_interval[0]) / 2

    @property
    def hybrid_half_width(self) -> float:
        return (self.hybrid_interval[1] - self.hybrid_interval[0]) / 2


def estimate_quality(
    audited: int, confirmed: int, n_human: int, n_model: int, confidence: float = 0.95
) -> QualityEstimate:
    """Estimate from an audit of ``audited`` AI labels of which a human ``confirmed`` some.

    ``n_human`` counts items labelled (or reviewed) by a human, audited ones included;
    ``n_model`` counts items whose AI label stands unchecked. Human labels are taken as
    correct: the estimate is of agreement with this project's annotators.
    """
    if not 0 <= confirmed <= audited:
        raise ValueError("confirmed must lie in 0..audited")
    lo, hi = wilson_interval(confirmed, audited, confidence)
    p = confirmed / audited if audited else float("nan")
    total = n_human + n_model

    def hybrid(acc: float) -> float:
        return (n_human + n_model * acc) / total if total else float("nan")

    return QualityEstimate(
        audited,
        confirmed,
        n_human,
        n_model,
        confidence,
        p,
        (lo, hi),
        hybrid(p),
        (hybrid(lo), hybrid(hi)),
    )


def more_audits_needed(
    estimate: QualityEstimate, target_half_width: float, of: str = "ai", limit: int = 10**7
) -> int | None:
    """How many more audited items until the interval half-width reaches the target.

    Assumes the confirmed share stays where it is now (0.5 if nothing is audited yet, the
    worst case). For ``of='hybrid'`` each audited item also leaves the unchecked pool, which
    narrows the set-level interval faster. None if ``limit`` more would not get there.
    """
    if of not in ("ai", "hybrid"):
        raise ValueError("of must be 'ai' or 'hybrid'")
    share = estimate.confirmed / estimate.audited if estimate.audited else 0.5

    def half_width(extra: int) -> float:
        n = estimate.audited + extra
        lo, hi = wilson_interval(round(share * n), n, estimate.confidence)
        width = (hi - lo) / 2
        if of == "hybrid":
            total = estimate.n_human + estimate.n_model
            remaining = max(estimate.n_model - extra, 0)
            width *= remaining / total if total else 0.0
        return width

    if half_width(0) <= target_half_width:
        return 0
    if half_width(limit) > target_half_width:
        return None
    lo, hi = (
        0,
        limit,
    )  # half_width(lo) > target >= half_width(hi); rounding makes it nearly monotone
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if half_width(mid) <= target_half_width:
            hi = mid
        else:
            lo = mid
    return hi
